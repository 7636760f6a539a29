/* libbar.so: the bottom library. Data that the main points at, data that points into
 * the main, errno set here and read in the main, a constructor, an atexit handler, a destructor. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

extern int main_var;                 /* defined in the main */
int bar_var = 42;
int *bar_ptr_to_main = &main_var;    /* a data relocation into the main */
int bar_ready;

static void bar_at_exit(void) { printf("atexit: bar\n"); }

__attribute__((destructor)) static void bar_fini(void) { printf("dtor: bar (foo gone first)\n"); }

__attribute__((constructor)) static void bar_init(void) {
  bar_ready = 1;
  printf("ctor: bar\n");
  atexit(bar_at_exit);
}

int bar_fail(void) {                  /* libc.so sets errno (ERANGE) for the main to read */
  errno = 0;
  return strtol("99999999999999999999", 0, 10) == 0x7fffffffL ? -1 : 0;
}

int bar_errno(void) { return errno; } /* reads errno that the main set */

long double bar_half(long double x) { return x / 2; }   /* __divtf3 from libc.so */
