/* main.wasm: a PIE main linked against libfoo.so (which NEEDs libbar.so) and libc.so. */
#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

extern int bar_var;
extern int *bar_ptr_to_main;
extern int foo_ready;
int bar_fail(void);
int bar_errno(void);
long double bar_half(long double);
int foo_twice_bar(void);
__int128 foo_mul(__int128, __int128);
int foo_dlsym_ok(void);

int main_var = 7;
int *main_ptr_to_bar = &bar_var;      /* a data relocation into libbar.so */
static int main_ctor_runs;

__attribute__((constructor)) static void main_init(void) {
  main_ctor_runs++;
  printf("ctor: main (foo ready: %d)\n", foo_ready);
}

int main_callback(int x) { return x * 3; }

static void main_at_exit(void) { printf("atexit: main\n"); }

__attribute__((destructor)) static void main_fini(void) { printf("dtor: main\n"); }

int main(int argc, char **argv) {
  atexit(main_at_exit);
  printf("argc=%d", argc);
  for (int i = 0; i < argc; i++) printf(" argv[%d]=%s", i, argv[i]);
  printf("\nKIT_GREETING=%s\n", getenv("KIT_GREETING") ? getenv("KIT_GREETING") : "(unset)");

  FILE *f = fopen("data/in.txt", "r");
  char line[64] = "";
  if (f) { fgets(line, sizeof line, f); fclose(f); line[strcspn(line, "\n")] = 0; }
  printf("data/in.txt: %s\n", f ? line : strerror(errno));

  int r = bar_fail();
  printf("errno from bar: %d (%s), r=%d\n", errno, errno == ERANGE ? "ERANGE" : "wrong", r);
  errno = EILSEQ;
  printf("errno seen by bar: %s\n", bar_errno() == EILSEQ ? "EILSEQ" : "wrong");

  printf("main_ptr_to_bar -> %d (bar_var %d), bar_ptr_to_main -> %d (main_var %d)\n",
         *main_ptr_to_bar, bar_var, *bar_ptr_to_main, main_var);
  printf("foo_twice_bar=%d, constructors of main ran %d time(s)\n", foo_twice_bar(), main_ctor_runs);

  __int128 m = foo_mul((__int128)1 << 40, (__int128)1 << 40);
  printf("__int128: 2^80 >> 64 = %llu\n", (unsigned long long)(m >> 64));
  printf("%%Lg: %Lg, bar_half(3.0L) = %Lg\n", 1.5L, bar_half(3.0L));

  printf("dlsym(RTLD_DEFAULT, \"bar_var\") in libfoo.so: %s\n", foo_dlsym_ok() ? "&bar_var" : "wrong");
  void *h = dlopen("libplugin.so", RTLD_NOW);
  if (!h) { printf("dlopen: %s\n", dlerror()); return 1; }
  int (*entry)(int) = (int (*)(int))dlsym(h, "plugin_entry");
  if (!entry) { printf("dlsym: %s\n", dlerror()); return 1; }
  printf("plugin_entry(5) = %d\n", entry(5));
  Dl_info info;
  if (dladdr((void *)entry, &info)) {
    const char *base = strrchr(info.dli_fname, '/');
    printf("dladdr: %s %s\n", base ? base + 1 : info.dli_fname, info.dli_sname ? info.dli_sname : "-");
  }
  printf("dlsym(nothing): %s\n", dlsym(h, "nothing") ? "found?" : dlerror());
  printf("dlclose = %d\n", dlclose(h));
  return 0;
}
