/* libc_nonshared.c -- linked into every side module by `dylink cc -shared` (as glibc links libc_nonshared.a into
 * every shared object): the library's own atexit.
 *
 * libc.so's atexit would put a library's handler into libc's one list, which exit() walks: after a dlclose of that
 * library, exit would call code that is gone. This atexit registers the handler with the __cxa_atexit the library
 * itself imports, which Dylink gives each library, so the handler runs when the library is unloaded, or at exit if
 * it never is (glibc's order). Hidden: each library has its own, and none enters the global scope.
 *
 * wasm checks the type of every indirect call, so the handler cannot be passed as a void (*)(void *): it travels as
 * the argument of a wrapper of the right type, as musl's own atexit does. */
int __cxa_atexit(void (*)(void *), void *, void *);

static void call(void *handler) { ((void (*)(void))handler)(); }

__attribute__((visibility("hidden"))) int atexit(void (*handler)(void)) {
  return __cxa_atexit(call, (void *)handler, 0);
}
