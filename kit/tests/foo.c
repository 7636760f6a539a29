/* libfoo.so: NEEDs libbar.so (and libc.so). Its constructor must run after bar's.
 * Linked without --unresolved-symbols=import-dynamic: <dlfcn.h>'s functions are explicit env imports. */
#include <dlfcn.h>
#include <stdio.h>
extern int bar_ready;
extern int bar_var;
int foo_ready;

__attribute__((constructor)) static void foo_init(void) {
  foo_ready = bar_ready ? 2 : -1;     /* 2: bar's constructor ran first */
  printf("ctor: foo (bar ready: %s)\n", bar_ready ? "yes" : "NO");
}

__attribute__((destructor)) static void foo_fini(void) { printf("dtor: foo\n"); }

int foo_twice_bar(void) { return 2 * bar_var; }

__int128 foo_mul(__int128 a, __int128 b) { return a * b; }   /* __multi3 from libc.so */

int foo_dlsym_ok(void) { return dlsym(RTLD_DEFAULT, "bar_var") == (void *)&bar_var; }
