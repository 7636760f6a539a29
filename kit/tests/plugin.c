/* libplugin.so: opened at run time with dlopen; calls back into the main; its atexit handler and destructor run
 * at dlclose. */
#include <stdio.h>
#include <string.h>
int main_callback(int);               /* the main's, exported with --export-dynamic */
static char name[32];
#include <stdlib.h>
static void plugin_at_exit(void) { printf("%s: atexit handler, at dlclose\n", name); }
__attribute__((destructor)) static void plugin_fini(void) { printf("%s: destructor, at dlclose\n", name); }
__attribute__((constructor)) static void plugin_init(void) {
  strcpy(name, "plugin");
  atexit(plugin_at_exit);   /* the library's own atexit (libc_nonshared.o): run when it is unloaded */
}
int plugin_entry(int x) {
  printf("%s: plugin_entry(%d), main_callback gives %d\n", name, x, main_callback(x));
  return x + 100;
}
