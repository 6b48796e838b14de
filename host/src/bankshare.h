/*
 * bankshare.h - a memory bank's bandwidth shared, on the card timeline, by
 * the commands that use the bank at the same time (bankshare.c).
 */
#ifndef CHM_BANKSHARE_H
#define CHM_BANKSHARE_H

/* The share of a bank in use over time: u[i] on [t[i], t[i + 1]), 0 past the last. */
typedef struct chm_bank_use {
    double *t, *u;
    int n, cap;
} chm_bank_use;

/*
 * Lays a command that starts at start, takes dur with the bank to itself and
 * needs the bank for share f (bank time / dur, clamped to 0..1) of that time
 * on the bank's use p; returns its end. In a stretch where the commands
 * already laid use u of the bank it runs at min(1, (1 - u) / f) of its own
 * speed, and its use is added there. Out of memory: the command is laid as
 * if alone (end = start + dur) and nothing is recorded.
 */
double chm__bank_lay(chm_bank_use *p, double start, double dur, double f);

/* Forgets the use before t (no command is laid earlier than t from now on). */
void chm__bank_forget(chm_bank_use *p, double t);

void chm__bank_free(chm_bank_use *p);

#endif /* CHM_BANKSHARE_H */
