/*
 * The collective part of the consistent cut (DESIGN §4.1, docs/consistent-cut.md),
 * the same protocol as Sources/MPIShadow/Cut/CollectiveCut.swift.
 *
 * Three ranks, three communicators: 0 = world {0,1,2}, 1 = C1 {0,1}, 2 = C2 {1,2}
 * (C1 and C2 overlap in rank 1). Each rank runs a program of blocking collectives
 * with barrier semantics (a collective returns only when every member has started
 * it: the strongest synchronisation, the worst case for the cut). Spin chooses the
 * program: every global order of L collectives over the three communicators,
 * projected on the ranks (3^L programs, all correct MPI: no deadlock without a
 * checkpoint). L = 4 includes the pitfall of §4.1 (C1 C2 C1 C2: rank 2 waits in
 * C2 #2 for rank 1, which is capped before C1 #2). The checkpoint request comes at
 * any point (the coordinator's first step interleaves anywhere).
 *
 * Messages: reports rank -> coordinator go through one FIFO channel per rank and may
 * be read late (stale); targets coordinator -> rank are published in T[] and copied by
 * the rank whenever it likes (targets only grow, so a late copy is a delayed message).
 *
 * Checked: assertions (no rank ever starts a collective beyond the coordinator's
 * target; at the cut every member of every communicator has started exactly the
 * target and no rank is inside a collective), no invalid end state (the coordinator
 * always reaches the cut: it has no end label before it) and, with the claim,
 * <> cut. Built with -DNAIVE (never raise), spin must find the deadlock.
 */

#define NR 3
#define NC 3
#define MAXOPS 6
#define NOP 255
#ifndef L
#define L 4   /* collectives in the global order of a program (L < MAXOPS); L=5: ~11M states, ~30 s */
#endif

/* activities in a report */
#define RUNNING 0
#define CAPPED 1
#define INCOLL 2
#define FINISHED 3

#define MEM(r, c) ((c) == 0 || ((c) == 1 && (r) <= 1) || ((c) == 2 && (r) >= 1))
#define CNT(r, c) cnt[(r) * NC + (c)]
#define LT(r, c) lt[(r) * NC + (c)]
#define LCNT(r, c) lcnt[(r) * NC + (c)]
#define OP(r) prog[(r) * MAXOPS + pc[r]]

byte prog[NR * MAXOPS];
byte cnt[NR * NC];      /* collectives started, per rank and communicator */
byte pc[NR];
bool inside[NR];        /* started OP(r), not yet returned */

/* rank side: the gate */
bool pending[NR];
byte lt[NR * NC];       /* the rank's targets */
/* what each rank last reported (dedup) */
byte sact[NR]; byte scomm[NR]; byte sn[NR]; byte scnt[NR * NC];

chan rep[NR] = [12] of { byte, byte, byte, byte, byte, byte };  /* act, comm, n, cnt0..2 */

/* coordinator */
bool req;
bool gathered;
bool cut;
byte T[NC];
byte lact[NR]; byte lcomm[NR]; byte ln[NR]; byte lcnt[NR * NC];  /* latest reports */
bool got[NR];

ltl cut_reached { <> cut }

/* activity and report of rank r, sent if it changed (only while a checkpoint is pending) */
inline report(r) {
    if
    :: pending[r] ->
        if
        :: inside[r] -> a = INCOLL; k = OP(r); n = CNT(r, k)
        :: !inside[r] && OP(r) == NOP -> a = FINISHED; k = 0; n = 0
        :: !inside[r] && OP(r) != NOP && CNT(r, OP(r)) + 1 > LT(r, OP(r)) -> a = CAPPED; k = OP(r); n = 0
        :: else -> a = RUNNING; k = 0; n = 0
        fi;
        if
        :: a != sact[r] || k != scomm[r] || n != sn[r] ||
           CNT(r, 0) != scnt[r * NC] || CNT(r, 1) != scnt[r * NC + 1] || CNT(r, 2) != scnt[r * NC + 2] ->
            sact[r] = a; scomm[r] = k; sn[r] = n;
            scnt[r * NC] = CNT(r, 0); scnt[r * NC + 1] = CNT(r, 1); scnt[r * NC + 2] = CNT(r, 2);
            rep[r]!a, k, n, CNT(r, 0), CNT(r, 1), CNT(r, 2)
        :: else -> skip
        fi
    :: else -> skip
    fi
}

proctype Rank(byte r) {
    byte a, k, n, m;
end:
    do
    :: atomic { /* the checkpoint request reaches this rank: freeze at its own counts */
        req && !pending[r] ->
        pending[r] = 1;
        LT(r, 0) = CNT(r, 0); LT(r, 1) = CNT(r, 1); LT(r, 2) = CNT(r, 2);
        sact[r] = 255;  /* force the first report */
        report(r)
       }
    :: atomic { /* targets arrive (take the maximum) */
        pending[r] && gathered &&
        ((MEM(r, 0) && LT(r, 0) < T[0]) || (MEM(r, 1) && LT(r, 1) < T[1]) || (MEM(r, 2) && LT(r, 2) < T[2])) ->
        if :: MEM(r, 0) && LT(r, 0) < T[0] -> LT(r, 0) = T[0] :: else fi;
        if :: MEM(r, 1) && LT(r, 1) < T[1] -> LT(r, 1) = T[1] :: else fi;
        if :: MEM(r, 2) && LT(r, 2) < T[2] -> LT(r, 2) = T[2] :: else fi;
        report(r)
       }
    :: atomic { /* start the next collective if the gate allows (mayStart) */
        !inside[r] && OP(r) != NOP && (!pending[r] || CNT(r, OP(r)) + 1 <= LT(r, OP(r))) ->
        k = OP(r);
        CNT(r, k)++;
        assert(!gathered || CNT(r, k) <= T[k]);
        inside[r] = 1;
        report(r)
       }
    :: atomic { /* return from it once every member has started it */
        inside[r] &&
        (!MEM(0, OP(r)) || CNT(0, OP(r)) >= CNT(r, OP(r))) &&
        (!MEM(1, OP(r)) || CNT(1, OP(r)) >= CNT(r, OP(r))) &&
        (!MEM(2, OP(r)) || CNT(2, OP(r)) >= CNT(r, OP(r))) ->
        inside[r] = 0;
        pc[r]++;
        report(r)
       }
    od
}

inline take(i) {
    rep[i]?lact[i], lcomm[i], ln[i], lcnt[i * NC], lcnt[i * NC + 1], lcnt[i * NC + 2];
    got[i] = 1
}

/* One evaluation: the cut, or raise every communicator on which a behind rank is capped. */
inline evaluate() {
    d_step {
        behind = 0; anyin = 0; i = 0;
        do
        :: i < NR ->
            if :: lact[i] == INCOLL -> anyin = 1 :: else fi;
            if
            :: (MEM(i, 0) && LCNT(i, 0) < T[0]) || (MEM(i, 1) && LCNT(i, 1) < T[1]) ||
               (MEM(i, 2) && LCNT(i, 2) < T[2]) -> behind = behind | (1 << i)
            :: else
            fi;
            i++
        :: else -> break
        od;
        if
        :: behind == 0 && !anyin -> cut = 1
        :: else ->
#ifndef NAIVE
            /* a behind rank waits (directly, or through the members it waits for in a
               collective, which are behind themselves) for nothing but its own cap */
            i = 0;
            do
            :: i < NR ->
                if
                :: (behind & (1 << i)) && lact[i] == CAPPED && LCNT(i, lcomm[i]) == T[lcomm[i]] ->
                    raise = raise | (1 << lcomm[i])
                :: else
                fi;
                i++
            :: else -> break
            od;
            i = 0;
            do
            :: i < NC -> if :: raise & (1 << i) -> T[i]++ :: else fi; i++
            :: else -> break
            od;
            raise = 0
#else
            skip
#endif
        fi;
        i = 0
    }
}

proctype Coordinator() {
    byte i, behind, raise;
    bool anyin;
    req = 1;
    /* gather one report from every rank */
    do
    :: got[0] && got[1] && got[2] -> break
    :: nempty(rep[0]) -> take(0)
    :: nempty(rep[1]) -> take(1)
    :: nempty(rep[2]) -> take(2)
    od;
    skip;   /* a break may not jump into a d_step */
    d_step {
        i = 0;
        do
        :: i < NR ->
            if :: MEM(i, 0) && LCNT(i, 0) > T[0] -> T[0] = LCNT(i, 0) :: else fi;
            if :: MEM(i, 1) && LCNT(i, 1) > T[1] -> T[1] = LCNT(i, 1) :: else fi;
            if :: MEM(i, 2) && LCNT(i, 2) > T[2] -> T[2] = LCNT(i, 2) :: else fi;
            i++
        :: else -> break
        od;
        i = 0
    };
    evaluate();
    gathered = 1;
    do
    :: cut -> break
    :: !cut && nempty(rep[0]) -> take(0); evaluate()
    :: !cut && nempty(rep[1]) -> take(1); evaluate()
    :: !cut && nempty(rep[2]) -> take(2); evaluate()
    od;
    /* the cut: no collective in flight, every count at its target */
    assert(!inside[0] && !inside[1] && !inside[2]);
    assert(CNT(0, 0) == T[0] && CNT(1, 0) == T[0] && CNT(2, 0) == T[0]);
    assert(CNT(0, 1) == T[1] && CNT(1, 1) == T[1]);
    assert(CNT(1, 2) == T[2] && CNT(2, 2) == T[2])
}

/* Every correct program of L collectives: a global order of L collectives, each on a
   communicator chosen by spin, projected on each rank (each communicator's members
   see its collectives in one order, so without a checkpoint nothing deadlocks). L = 4
   includes the pitfall: C1 C2 C1 C2. */
init {
    byte g, c, r;
    byte plen[NR];
    atomic {
        g = 0;
        do
        :: g < NR * MAXOPS -> prog[g] = NOP; g++
        :: else -> break
        od;
        g = 0;
        do
        :: g < L ->
            if :: c = 0 :: c = 1 :: c = 2 fi;
            r = 0;
            do
            :: r < NR ->
                if :: MEM(r, c) -> prog[r * MAXOPS + plen[r]] = c; plen[r]++ :: else fi;
                r++
            :: else -> break
            od;
            g++
        :: else -> break
        od;
        g = 0; c = 0; r = 0; plen[0] = 0; plen[1] = 0; plen[2] = 0;
        run Rank(0); run Rank(1); run Rank(2);
        run Coordinator()
    }
}
