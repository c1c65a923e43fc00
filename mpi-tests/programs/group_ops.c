/* test: Group incl/excl/range_incl/range_excl/union/intersection/difference/translate_ranks/compare/size/rank/free */
/* ranks: 1 2 4 */
#include "mt.h"

static void show(const char *label, MPI_Group g, MPI_Group world, char *out, size_t cap) {
    int sz, rk, idx[64], wr[64];
    MPI_Group_size(g, &sz);
    MPI_Group_rank(g, &rk);
    for (int i = 0; i < sz; i++) idx[i] = i;
    if (sz) MPI_Group_translate_ranks(g, sz, idx, world, wr);
    size_t o = strlen(out);
    o += snprintf(out + o, cap - o, " %s[%d:", label, rk == MPI_UNDEFINED ? -1 : rk);
    for (int i = 0; i < sz && o < cap; i++) o += snprintf(out + o, cap - o, "%s%d", i ? "," : "", wr[i]);
    if (o < cap) snprintf(out + o, cap - o, "]");
}

int main(int argc, char **argv) {
    MPI_Init(&argc, &argv);
    mt_setup();
    int n = mt_size, r = mt_rank, res;
    MPI_Group w, even, odd, rev, u, in, diff, first, rexc, dup;
    MPI_Comm_group(MPI_COMM_WORLD, &w);
    int ws, wr;
    MPI_Group_size(w, &ws); MPI_Group_rank(w, &wr);
    CHECK(ws == n && wr == r);
    int ev[64], ne = 0, rv[64];
    for (int i = 0; i < n; i += 2) ev[ne++] = i;
    for (int i = 0; i < n; i++) rv[i] = n - 1 - i;
    CHECK_MPI(MPI_Group_incl(w, ne, ev, &even));
    CHECK_MPI(MPI_Group_excl(w, ne, ev, &odd));
    MPI_Group_incl(w, n, rv, &rev);
    int rng[1][3] = {{n - 1, 0, -1}};
    MPI_Group_range_incl(w, 1, rng, &dup);            /* same members as rev, same order */
    MPI_Group_compare(rev, dup, &res); CHECK(res == MPI_IDENT);
    MPI_Group_compare(w, rev, &res);   CHECK(res == (n == 1 ? MPI_IDENT : MPI_SIMILAR));
    MPI_Group_compare(w, w, &res);     CHECK(res == MPI_IDENT);
    int fr[1][3] = {{0, (n - 1) / 2, 1}};
    MPI_Group_range_incl(w, 1, fr, &first);
    int xr[1][3] = {{1, n - 1, 2}};
    if (n > 1) MPI_Group_range_excl(w, 1, xr, &rexc);  /* excludes odd ranks */
    else MPI_Group_excl(w, 0, NULL, &rexc);
    MPI_Group_compare(rexc, even, &res); CHECK(res == MPI_IDENT);
    CHECK_MPI(MPI_Group_union(odd, even, &u));         /* odd first, then evens */
    CHECK_MPI(MPI_Group_intersection(first, even, &in));
    CHECK_MPI(MPI_Group_difference(w, first, &diff));
    MPI_Group_compare(u, w, &res);
    CHECK(res == (n <= 1 ? MPI_IDENT : MPI_SIMILAR));
    /* translate with UNDEFINED mapping */
    int all[64], tr[64];
    for (int i = 0; i < n; i++) all[i] = i;
    MPI_Group_translate_ranks(w, n, all, odd, tr);
    for (int i = 0; i < n; i++) CHECK(tr[i] == (i % 2 ? i / 2 : MPI_UNDEFINED));
    int pn = MPI_PROC_NULL, tp;
    MPI_Group_translate_ranks(w, 1, &pn, even, &tp);
    CHECK(tp == MPI_PROC_NULL);
    /* empty group */
    int es; MPI_Group_size(MPI_GROUP_EMPTY, &es); CHECK(es == 0);
    MPI_Group_compare(diff, MPI_GROUP_EMPTY, &res);
    if (n == 1) CHECK(res == MPI_IDENT);
    char line[MT_LINE] = "";
    show("even", even, w, line, sizeof line);
    show("odd", odd, w, line, sizeof line);
    show("rev", rev, w, line, sizeof line);
    show("union", u, w, line, sizeof line);
    show("inter", in, w, line, sizeof line);
    show("diff", diff, w, line, sizeof line);
    mt_printf("%s\n", line);
    MPI_Group gs[] = {w, even, odd, rev, u, in, diff, first, rexc, dup};
    for (int i = 0; i < 10; i++) { CHECK_MPI(MPI_Group_free(&gs[i])); CHECK(gs[i] == MPI_GROUP_NULL); }
    return mt_finish("group_ops");
}
