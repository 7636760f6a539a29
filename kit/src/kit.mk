# kit.mk: read after wasi-libc's own Makefile (make -f Makefile -f kit.mk ...).
# It adds one target, kit-objects, which builds the objects that go into libc.so
# with the Makefile's own rules and flags, and lists them in $(OBJDIR)/kit-objects.txt.
#
# The list is wasi-sdk's libc.so recipe: LIBC_OBJS with the long-double printf/scanf
# variants instead of the plain ones, and without __main_argc_argv.o (an old-compiler
# shim that calls `main`: in libc.so it would make every program import `main`).
KIT_OBJS = $(sort \
    $(filter-out $(MUSL_PRINTSCAN_OBJS) %/__main_argc_argv.o,$(LIBC_OBJS)) \
    $(MUSL_PRINTSCAN_LONG_DOUBLE_OBJS))

kit-objects: $(KIT_OBJS)
	printf '%s\n' $(patsubst $(OBJDIR)/%,%,$(KIT_OBJS)) > "$(OBJDIR)/kit-objects.txt"

.PHONY: kit-objects
