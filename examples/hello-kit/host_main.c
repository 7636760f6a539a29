/* host_main.c -- host.wasm, built by `dylink cc`: the same C as examples/hello's non-PIE main, here a PIE
 * main linked against libhello.so and libc.so. Prints
 *   hello from libhello.so: x=5 ready=1
 *   host: side_hello(5) returned 40
 * and exits 0. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int side_hello(int x);                     /* from libhello.so */

int main(void) {
  int r = side_hello(5);
  printf("host: side_hello(5) returned %d\n", r);
  return r == 40 ? 0 : 1;
}
