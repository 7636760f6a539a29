/* libplugin.so: opened at run time with dlopen; calls back into the main. */
#include <stdio.h>
#include <string.h>
int main_callback(int);               /* the main's, exported with --export-dynamic */
static char name[32];
__attribute__((constructor)) static void plugin_init(void) { strcpy(name, "plugin"); }
int plugin_entry(int x) {
  printf("%s: plugin_entry(%d), main_callback gives %d\n", name, x, main_callback(x));
  return x + 100;
}
