/* crt1-reactor.c: the start file of a reactor (a module without main, such as a
 * library set driven from C#), for the kit's libc.so. Built -fPIC.
 * The host calls _initialize once, before anything else: it runs the module's
 * constructors. */
extern void __wasm_call_ctors(void);

__attribute__((__export_name__("_initialize")))
void _initialize(void) {
    __wasm_call_ctors();
}
