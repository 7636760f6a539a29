#include <__macro_PAGESIZE.h>
