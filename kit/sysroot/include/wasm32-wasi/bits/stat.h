#include <__struct_stat.h>
