/* The libmpi_cxx.so.40 stub (docs/openmpi-face.md, "C++"). */
#ifndef OMPI_CXX_H
#define OMPI_CXX_H

#define OFX_EXPORT __attribute__((visibility("default")))

/* Names a C++ bindings symbol (demangled when libstdc++ can) and ends the job. */
void ofx_unsupported(const char *mangled) __attribute__((noreturn));

#endif
