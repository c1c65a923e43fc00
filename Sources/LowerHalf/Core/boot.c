/* ckpt_lower_main: the order of the lower half's life, and the boot struct
 * it hands to the upper half (ckpt_boot.h). */
#define _GNU_SOURCE
#include <asm/prctl.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include "lh_internal.h"

static struct ckpt_boot boot;
static volatile uint32_t pending_word;

struct ckpt_boot *ckpt_lower_boot(void) { return &boot; }


static _Noreturn void usage(void)
{
    lh_die(2, "usage: ckpt-lower-<mpi> [--face-dir DIR] [--engine LIBCKPT-ENGINE.SO] -- PROGRAM [ARGS...]\n"
              "       ckpt-lower-<mpi> [--face-dir DIR] --restore IMAGE|GENERATION-DIR");
}

/* `--name VALUE` or `--name=VALUE` at argv[*i]; advances *i. */
static int opt_value(int argc, char **argv, int *i, const char *name, const char **out)
{
    size_t n = strlen(name);
    if (!strcmp(argv[*i], name)) {
        if (*i + 1 >= argc)
            usage();
        *out = argv[*i + 1];
        *i += 2;
        return 1;
    }
    if (!strncmp(argv[*i], name, n) && argv[*i][n] == '=') {
        *out = argv[*i] + n + 1;
        *i += 1;
        return 1;
    }
    return 0;
}

static int env_is_1(const char *name)
{
    const char *v = getenv(name);
    return v && !strcmp(v, "1");
}

static void fill_boot(const struct ckpt_lower_flavour *flavour)
{
    boot.magic = CKPT_BOOT_MAGIC;
    boot.version = CKPT_BOOT_VERSION;
    boot.flags = 0;
    if (getauxval(AT_HWCAP2) & 2) /* HWCAP2_FSGSBASE: the kernel enabled wrfsbase for user space */
        boot.flags |= CKPT_BOOT_FSGSBASE;
    if (lh_debug)
        boot.flags |= CKPT_BOOT_DEBUG;
    if (env_is_1("CKPT_MPI_OVERSUBSCRIBED"))
        boot.flags |= CKPT_BOOT_OVERSUB;
    uint64_t fs = 0;
    ckpt_sys2(SYS_arch_prctl, ARCH_GET_FS, &fs);
    boot.lower_fs = fs;
    boot.table = flavour->table;
    boot.pending = &pending_word;
    boot.flavour = flavour->name;
    boot.arena_start = CKPT_LOWER_ARENA_START;
    boot.arena_end = CKPT_LOWER_ZONE_END;
    boot.regions = lh_regions;
    boot.region_count = &lh_region_count;
    boot.region_capacity = LH_REGION_CAP;
    boot.thread_fs = lh_thread_fs;
    boot.upcall = NULL;
}

int ckpt_lower_main(int argc, char **argv, char **envp, const struct ckpt_lower_flavour *flavour)
{
    (void)envp; /* environ is authoritative: the re-exec stage edits it */
    lh_debug = env_is_1("CKPT_MPI_DEBUG");

    const char *face_dir = NULL, *engine = NULL, *restore = NULL;
    int i = 1;
    while (i < argc) {
        if (!strcmp(argv[i], "--")) {
            i++;
            break;
        } else if (opt_value(argc, argv, &i, "--face-dir", &face_dir) ||
                   opt_value(argc, argv, &i, "--engine", &engine) ||
                   opt_value(argc, argv, &i, "--restore", &restore)) {
            continue;
        } else if (argv[i][0] == '-') {
            usage();
        } else {
            break;
        }
    }
    if (restore ? i < argc : i >= argc)
        usage();

    struct lh_orig orig = {0};
    lh_reexec_or_restore(argv, face_dir, &orig);
    lh_log("flavour %s, pid %ld", flavour->name, ckpt_sys0(SYS_getpid));

    if (restore) {
        /* DESIGN §2: reserve every saved upper range and fd number before
         * MPI creates anything, then let the flavour initialise MPI, then
         * map the upper half back and resume it. */
        lh_arena_setup();
        lh_patch_mmap_family();
        fill_boot(flavour);
        lh_donor_start();
        lh_restore_open(restore);
        lh_restore_reserve();
        lh_env_snapshot();
        if (flavour->prepare)
            flavour->prepare(&boot); /* hook: MPI_Init of the new lower half (and, later, the shadow replay) */
        lh_restore_finish(&boot);
    }

    if (engine) {
        /* preloaded into the upper half only (never into the lower half) */
        char *abs = realpath(engine, NULL);
        if (!abs)
            lh_die(126, "--engine %s: %s", engine, strerror(errno));
        orig.engine = abs;
        if (orig.ld_preload && orig.ld_preload[0]) {
            char *v = malloc(strlen(abs) + strlen(orig.ld_preload) + 2);
            if (!v)
                lh_die(126, "out of memory");
            sprintf(v, "%s:%s", abs, orig.ld_preload);
            orig.ld_preload = v;
        } else {
            orig.ld_preload = abs;
        }
    }

    /* Resolve and check the program before any heavy set-up: a typo should
     * cost nothing, not an MPI_Init. */
    static struct lh_exec x;
    lh_exec_prepare(argv[i], argv + i, argc - i, &x);

    lh_arena_setup();
    lh_patch_mmap_family();
    fill_boot(flavour);
    lh_donor_start();
    lh_log("boot %p: flags %#x, lower_fs %#lx, zone %#lx-%#lx, %u regions", (void *)&boot, boot.flags,
           (unsigned long)boot.lower_fs, (unsigned long)boot.arena_start, (unsigned long)boot.arena_end,
           lh_region_count);

    lh_env_snapshot();
    if (flavour->prepare)
        flavour->prepare(&boot);

    lh_exec_map(&x);
    lh_launch(&x, &orig, face_dir, (uint64_t)&boot);
}
