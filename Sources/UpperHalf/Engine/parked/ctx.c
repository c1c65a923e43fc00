/* Save points and the glibc facts the restore needs. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <string.h>
#include "parked.h"

/* int ckpt_ctx_save(struct ckpt_img_ctx *c): setjmp-like; returns 0 now and 1
 * when a restore jumps back to it (the lower half loads rbx, rbp, r12-r15,
 * rsp, then jumps to rip with eax = 1).
 *
 * int ckpt_ctx_save_and_run(c, fn, arg, stack_top): the same save, then runs
 * fn(arg) on another stack (so the caller's stack stays exactly as saved
 * while fn copies it), then returns 0. */
/* Callee-saved registers, the caller's stack pointer and return address into *%rdi. */
#define SAVE_CALLER_CONTEXT \
    "  mov %rbx, 0(%rdi)\n" \
    "  mov %rbp, 8(%rdi)\n" \
    "  mov %r12, 16(%rdi)\n" \
    "  mov %r13, 24(%rdi)\n" \
    "  mov %r14, 32(%rdi)\n" \
    "  mov %r15, 40(%rdi)\n" \
    "  lea 8(%rsp), %rax\n" \
    "  mov %rax, 48(%rdi)\n" \
    "  mov (%rsp), %rax\n" \
    "  mov %rax, 56(%rdi)\n"

__asm__(".text\n"
        ".globl ckpt_ctx_save\n"
        ".hidden ckpt_ctx_save\n"
        ".type ckpt_ctx_save,@function\n"
        "ckpt_ctx_save:\n"
        SAVE_CALLER_CONTEXT
        "  xor %eax, %eax\n"
        "  ret\n"
        ".size ckpt_ctx_save, .-ckpt_ctx_save\n"
        ".globl ckpt_ctx_save_and_run\n"
        ".hidden ckpt_ctx_save_and_run\n"
        ".type ckpt_ctx_save_and_run,@function\n"
        "ckpt_ctx_save_and_run:\n"
        SAVE_CALLER_CONTEXT
        "  push %rbx\n"
        "  mov %rsp, %rbx\n"
        "  mov %rcx, %rsp\n"
        "  and $-16, %rsp\n"
        "  mov %rdx, %rdi\n"
        "  call *%rsi\n"
        "  mov %rbx, %rsp\n"
        "  pop %rbx\n"
        "  xor %eax, %eax\n"
        "  ret\n"
        ".size ckpt_ctx_save_and_run, .-ckpt_ctx_save_and_run\n");

extern __attribute__((weak)) const ptrdiff_t __rseq_offset;
extern __attribute__((weak)) const unsigned int __rseq_size;

/* offsetof(struct pthread, tid): the first 32-bit word of the TCB (from
 * THREAD_SELF upwards) equal to gettid(), agreed by the main thread and
 * the engine thread (their tids differ). */
void eng_learn_thread_layout(int main_thread)
{
    static uint64_t main_candidates[64];
    static int nmain;
    uint64_t fs;
    __asm__ volatile("mov %%fs:0, %0" : "=r"(fs));
    uint32_t tid = (uint32_t)ckpt_sys0(SYS_gettid);
    const uint32_t *w = (const uint32_t *)fs;
    if (main_thread) {
        nmain = 0;
        for (int i = 4; i < 2048 / 4 && nmain < 64; i++)
            if (w[i] == tid)
                main_candidates[nmain++] = (uint64_t)i * 4;
        uint64_t head = 0, len = 0;
        if (ckpt_sys3(SYS_get_robust_list, 0, &head, &len) == 0 && head > fs && head - fs < 4096)
            eng.robust_offset = head - fs;
        if (&__rseq_size && &__rseq_offset && __rseq_size) {
            eng.rseq_offset = __rseq_offset;
            eng.rseq_size = __rseq_size;
        }
        if (nmain == 1)
            eng.tid_offset = main_candidates[0];
        return;
    }
    for (int i = 0; i < nmain; i++)
        if (w[main_candidates[i] / 4] == tid) {
            eng.tid_offset = main_candidates[i];
            return;
        }
}

/* Does thread `tid` block `sig`? (/proc/self/task/TID/status, SigBlk) */
int eng_thread_blocks(long tid, int sig)
{
    char path[64], buf[4096];
    struct sbuf s = {path, 0, sizeof path};
    sb_str(&s, "/proc/self/task/");
    sb_u64(&s, (uint64_t)tid);
    sb_str(&s, "/status");
    long fd = ckpt_sys3(SYS_open, path, O_RDONLY | O_CLOEXEC, 0);
    if (fd < 0)
        return 1; /* gone */
    long n = ckpt_sys3(SYS_read, fd, buf, sizeof buf - 1);
    ckpt_sys1(SYS_close, fd);
    if (n <= 0)
        return 1;
    buf[n] = 0;
    const char *p = strstr(buf, "SigBlk:");
    if (!p)
        return 0;
    p += 7;
    while (*p == ' ' || *p == '\t')
        p++;
    uint64_t v = 0;
    for (; (*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f'); p++)
        v = v * 16 + (uint64_t)(*p <= '9' ? *p - '0' : *p - 'a' + 10);
    return (v >> (sig - 1)) & 1;
}
