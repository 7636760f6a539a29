/* hello.c -- libhello.so, built by `dylink cc -shared`: the same C as examples/hello's library, its libc
 * calls (printf, malloc, snprintf, strlen, free) bound to libc.so. Exports data (hello_calls), has a
 * constructor, and keeps a pointer in data (a data relocation). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int hello_calls = 0;                       /* exported data */
static const char *greeting = "hello";     /* data relocation (pointer in data) */
static int ready;
__attribute__((constructor)) static void hello_init(void) { ready = 1; }

__attribute__((visibility("default"))) int side_hello(int x) {
  char *buf = malloc(64);
  snprintf(buf, 64, "%s from libhello.so: x=%d ready=%d", greeting, x, ready);
  printf("%s\n", buf);
  int n = (int)strlen(buf);
  free(buf);
  hello_calls++;
  return n + x;
}
