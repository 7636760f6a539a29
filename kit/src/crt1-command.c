/* crt1-command.c: the start file of a command (a program with main), for the kit's
 * libc.so. Built -fPIC, so it links into a PIE main.
 *
 * wasi-libc's own crt1-command.c calls __original_main and never __wasm_call_ctors
 * in this version, which makes wasm-ld wrap every export of the main as
 * X.command_export (constructors before, destructors after each call). This one
 * runs the main's constructors itself, then main, then exit(): exit runs the
 * atexit handlers and flushes stdio (both in libc.so). Libraries' constructors
 * are the loader's business: it runs them, dependencies first, before _start.
 *
 * __main_void is the main's own `int main(void)` (clang names it so), or else
 * libc.so's weak __main_void, which reads argv and calls the main's
 * __main_argc_argv (clang's name for `int main(int, char **)`). */
extern void __wasm_call_ctors(void);
extern int __main_void(void);
extern void exit(int) __attribute__((__noreturn__));

__attribute__((__export_name__("_start")))
void _start(void) {
    __wasm_call_ctors();
    exit(__main_void());
}
