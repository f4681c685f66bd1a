"""The dynamic symbols the compiled-module interface check (judge/interface.py) knows by name: what compilers,
C libraries and code generators import or not by version (set aside under the rules named there), what glibc
exports under several names, and what gives a module a capability (never set aside)."""

from __future__ import annotations

import re


# symbols a compiler emits or not by version, optimization level and defaults (inlined or called, weak
# runtime hooks): importing one of them gives a module no new capability
COMPILER_RUNTIME = frozenset({
    "__cxa_finalize", "_ITM_deregisterTMCloneTable", "_ITM_registerTMCloneTable", "__gmon_start__",
    "_Jv_RegisterClasses", "__register_frame_info", "__deregister_frame_info", "__tls_get_addr",
    "__stack_chk_fail", "__stack_chk_guard", "__assert_fail", "__errno_location", "__ctype_b_loc",
    "__ctype_tolower_loc", "__ctype_toupper_loc", "__isoc99_sscanf", "__isoc23_sscanf", "__isoc23_strtol",
    "__isoc23_strtoul", "__isoc23_strtoll", "__isoc23_strtoull", "__cxa_atexit", "abort", "__pthread_key_create",
    "__cxa_thread_atexit_impl", "__libc_single_threaded",
})
COMPILER_BUILTINS = frozenset({
    "memcpy", "memmove", "memset", "memcmp", "memchr", "strlen", "strnlen", "strcmp", "strncmp", "strchr",
    "strrchr", "strcpy", "strncpy", "strcat", "strncat", "strstr", "bcmp", "bzero", "abs", "labs",
    "floor", "ceil", "round", "trunc", "fabs", "sqrt", "pow", "exp", "log", "fmod", "ldexp", "frexp",
    "floorf", "ceilf", "sqrtf", "fabsf", "roundf", "lround", "lrint", "rint", "nearbyint", "copysign",
    "puts", "putchar", "fputs", "fwrite", "fputc", "printf", "fprintf", "sprintf", "snprintf", "vsnprintf",
    "vfprintf", "vsprintf", "strtol", "strtoul", "strtoll", "strtoull", "strtod", "sscanf", "malloc", "calloc",
    "realloc", "free", "mempcpy", "stpcpy", "strdup", "__rawmemchr", "rawmemchr", "__isinf", "__isnan",
    "__isinff", "__isnanf", "__finite", "__finitef", "isinf", "isnan", "__memcpy_chk", "__memset_chk",
})
# the C math library's functions (math.h and complex.h, with their float and long double forms): a compiler or a
# build option calls them where another build inlines them or uses the project's own (numpy's npymath)
_MATH_BASE = ("acos acosh asin asinh atan atan2 atanh cbrt ceil copysign cos cosh erf erfc exp exp2 exp10 expm1 fabs "
              "fdim floor fma fmax fmin fmod frexp hypot ilogb ldexp lgamma llrint llround log log10 log1p log2 logb "
              "lrint lround modf nan nearbyint nextafter nexttoward pow remainder remquo rint round scalbln scalbn "
              "sin sincos sinh sqrt tan tanh tgamma trunc cabs cacos cacosh carg casin casinh catan catanh ccos ccosh "
              "cexp cimag clog conj cpow cproj creal csin csinh csqrt ctan ctanh").split()
MATH_FUNCTIONS = frozenset(n + s for n in _MATH_BASE for s in ("", "f", "l"))
# the Python C API calls that reach arbitrary Python: call any object, get any attribute (a module's globals, a
# class's __subclasses__), look a name up in any dict. A module that calls os.system through them imports none of
# libc's capabilities: added, they are a capability like system() (issue 45: PyInit_ walking object.__subclasses__()
# to os._wrap_close.__init__.__globals__["system"])
PYTHON_CAPABILITIES = (r"_?PyObject_Call\w*|_?PyObject_Vectorcall\w*|PyVectorcall_\w+|_?PyObject_FastCall\w*|"
                       r"PyObject_GetAttr\w*|_?PyObject_LookupAttr\w*|_PyObject_GetAttrId|PyObject_GenericGetAttr|"
                       r"PyCFunction_Call\w*|PyEval_Call\w*|PyInstanceMethod_\w+|"
                       r"PyMethod_New")
# calls that give a module a capability its rebuild lacks: said by name when added
CAPABILITIES = re.compile(r"^(system|popen|exec[lv]p?e?|fexecve|posix_spawnp?|fork|vfork|clone|socket|connect|bind|"
                          r"listen|accept4?|send(to|msg)?|recv(from|msg)?|getaddrinfo|gethostbyname\w*|dlopen|dlsym|"
                          r"dlmopen|ptrace|mprotect|mmap|setuid|setgid|chmod|chown|unlink|rename|kill|"
                          r"PyRun_\w+|Py_CompileString\w*|PyImport_\w+|PyEval_\w+|PySys_\w+|" + PYTHON_CAPABILITIES + ")$")

# libstdc++'s std::filesystem operations that change files (the old ABI's path and the __cxx11 one's): what unlink,
# rename, chmod do, called from C++
CXX_FILE_OPERATIONS = re.compile(r"_ZNSt10filesystem(?:7__cxx11)?(6remove|10remove_all|6rename|11permissions|4copy|"
                                 r"9copy_file|14create_symlink|16create_hard_link|24create_directory_symlink|"
                                 r"11resize_file)E")


# glibc before 2.33 exported the stat family through these wrappers (and 64-bit names on 32-bit offsets): a
# module built against it imports __fxstat where one built against a newer glibc imports fstat
GLIBC_ALIASES = {"__fxstat": "fstat", "__fxstat64": "fstat", "__xstat": "stat", "__xstat64": "stat",
                 "__lxstat": "lstat", "__lxstat64": "lstat", "__fxstatat": "fstatat", "__fxstatat64": "fstatat",
                 "__xmknod": "mknod", "__xmknodat": "mknodat", "fstat64": "fstat", "stat64": "stat",
                 "lstat64": "lstat", "fstatat64": "fstatat", "__strdup": "strdup", "__strndup": "strndup"}


# Data objects glibc exports under several names (one object, weak aliases): an older toolchain (manylinux2014)
# links to another of them than a current one (uvloop 0.21.0: _environ published, environ rebuilt).
GLIBC_OBJECT_ALIASES = {"_environ": "environ", "__environ": "environ", "__timezone": "timezone",
                        "__daylight": "daylight", "__tzname": "tzname", "__progname": "program_invocation_short_name",
                        "__progname_full": "program_invocation_name", "_sys_errlist": "sys_errlist",
                        "_sys_nerr": "sys_nerr"}
