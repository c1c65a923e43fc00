/* long lh_clone(flags, stack, ptid, ctid, tls, start): a raw clone whose child
 * runs start->fn(start->arg) on `stack` (lh_internal.h), with no libc: the
 * restored application threads and the restore's readers are made so. A leaf
 * of its own, below restore.c and restore_read.c, which both use it. */
#include "lh_internal.h"

__asm__(".text\n"
        ".globl lh_clone\n"
        ".hidden lh_clone\n"
        ".type lh_clone,@function\n"
        "lh_clone:\n"
        "  push %r12\n"
        "  mov %r9, %r12\n"
        "  mov %rcx, %r10\n"
        "  mov $56, %eax\n"
        "  syscall\n"
        "  test %rax, %rax\n"
        "  jz 1f\n"
        "  pop %r12\n"
        "  ret\n"
        "1:\n"
        "  mov 8(%r12), %rdi\n"
        "  mov 0(%r12), %rax\n"
        "  and $-16, %rsp\n"
        "  call *%rax\n"
        "  ud2\n"
        ".size lh_clone, .-lh_clone\n"
        ".text\n");
