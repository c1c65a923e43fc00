/* The one thing the stub's functions do: say which C++ binding was called, through the
 * Open MPI face's own unsupported-call path (one line, then the whole job ends). */
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include "ompi_cxx.h"

/* In libmpi.so.40 (the Open MPI face), which every program linking this library also links. */
extern int ompi_ckpt_mpi_unsupported(const char *name);

void ofx_unsupported(const char *mangled)
{
    char what[512];
    char *(*demangle)(const char *, char *, size_t *, int *) =
        (char *(*)(const char *, char *, size_t *, int *))dlsym(RTLD_DEFAULT, "__cxa_demangle");
    int status = -1;
    char *plain = demangle ? demangle(mangled, NULL, NULL, &status) : NULL;
    snprintf(what, sizeof what, "%s (Open MPI's C++ bindings)", status == 0 && plain ? plain : mangled);
    free(plain);
    ompi_ckpt_mpi_unsupported(what);
    _exit(1);
}
