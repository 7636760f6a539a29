/* stack_chk.c: linked into libc.so by kit/build.sh.
 *
 * Debian builds compiler-rt with its hardening flags (-fstack-protector-strong), so
 * some of the builtins that the kit links into libc.so (__divmoddi4, __modti3,
 * __umodti3, …) read __stack_chk_guard and call __stack_chk_fail. wasi-libc
 * defines neither (it is built with -fno-stack-protector), so libc.so provides them,
 * as musl does. The guard stays 0: wasi has no auxv entropy at start-up, and a
 * program built with -fstack-protector still detects a smashed canary. */
unsigned long __stack_chk_guard;

_Noreturn void __stack_chk_fail(void) {
    __builtin_trap();
}
