/* dlfcn.h -- run-time linking for programs loaded by Dylink (kit addition; wasi-libc
 * leaves musl's dlfcn.h out because wasi-libc has no dynamic linker).
 *
 * The functions are not in libc.so: the loader provides them as host functions,
 * imported from module "env" (Dylink's GuestAbi), so they are declared as explicit
 * imports. That links without --unresolved-symbols=import-dynamic, in a PIE main and
 * in a side module alike. Flag values and Dl_info are musl's (Dylink's OpenMode and
 * dladdr follow them); the layout is musl's dlfcn.h, minus dlinfo (not provided). */
#ifndef	_DLFCN_H
#define	_DLFCN_H

#ifdef __cplusplus
extern "C" {
#endif

#include <features.h>

#define RTLD_LAZY   1
#define RTLD_NOW    2
#define RTLD_NOLOAD 4
#define RTLD_NODELETE 4096
#define RTLD_GLOBAL 256
#define RTLD_LOCAL  0

#define RTLD_NEXT    ((void *)-1)
#define RTLD_DEFAULT ((void *)0)

#define __DYLINK_IMPORT(name) __attribute__((__import_module__("env"), __import_name__(#name)))

__DYLINK_IMPORT(dlclose) int    dlclose(void *);
__DYLINK_IMPORT(dlerror) char  *dlerror(void);
__DYLINK_IMPORT(dlopen)  void  *dlopen(const char *, int);
__DYLINK_IMPORT(dlsym)   void  *dlsym(void *__restrict, const char *__restrict);

#if defined(_GNU_SOURCE) || defined(_BSD_SOURCE)
typedef struct {
	const char *dli_fname;  /* the module's name */
	void *dli_fbase;        /* its memory base */
	const char *dli_sname;  /* the nearest exported symbol's name, or NULL */
	void *dli_saddr;        /* its address (a function's: its table index) */
} Dl_info;
__DYLINK_IMPORT(dladdr) int dladdr(const void *, Dl_info *);
#endif

#undef __DYLINK_IMPORT

#ifdef __cplusplus
}
#endif

#endif
