/*
 * chimera_comm.h - tensors between cards on several hosts: one MPI rank a
 * card, with ACCL's verb names (send/recv, bcast, scatter, gather,
 * allgather, reduce, allreduce, barrier) so that an ACCL backend (cards
 * talking over their own QSFP28 ports) can slot in later.
 *
 * Today's path is host staging: the card's bytes come up over PCIe, go
 * through MPI, and go down over PCIe at the other end. Its time is
 * modelled (chm_comm_time_us): the devices' own copy model for the PCIe
 * legs, and bytes / link rate for the network leg. Built only where MPI is
 * (libchimera_comm; Debian: libopenmpi-dev).
 *
 * Every verb waits at most the communicator's timeout: a rank that died or
 * stopped answering makes the others fail with CHM_ETIMEDOUT and a message
 * naming it (chm_comm_error), never hang. MPI errors are returned, not
 * fatal. Reductions are computed in rank order (0, 1, 2, ...), so fp32
 * results do not depend on MPI's reduction order and equal a one-card run
 * that sums in that order.
 */
#ifndef CHIMERA_COMM_H
#define CHIMERA_COMM_H

#include "chimera.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct chm_comm chm_comm;

typedef struct chm_comm_opts {
    int timeout_ms;    /* per verb; 0 means 10000 */
    double link_gbps;  /* network leg, GB/s; 0 means 12.5 (100 Gb/s, an Alveo QSFP28 port) */
} chm_comm_opts;

typedef enum { CHM_REDUCE_SUM = 0, CHM_REDUCE_MAX = 1 } chm_reduce_op;

/*
 * Joins the job (MPI_Init if nobody has) over MPI_COMM_WORLD; opts may be
 * NULL. *out is freed by chm_comm_free (which finalizes MPI if this did).
 */
int chm_comm_init(int *argc, char ***argv, const chm_comm_opts *opts, chm_comm **out);
int chm_comm_free(chm_comm *c);
int chm_comm_rank(const chm_comm *c);
int chm_comm_size(const chm_comm *c);
/* What the last failing verb on c said ("" if none). */
const char *chm_comm_error(const chm_comm *c);
/* Modelled time of this rank's communication so far, microseconds. */
double chm_comm_time_us(const chm_comm *c);

/* The whole of t to rank dst / from rank src (t's bytes must match the sender's). */
int chm_comm_send(chm_comm *c, chm_tensor *t, int dst, int tag);
int chm_comm_recv(chm_comm *c, chm_tensor *t, int src, int tag);
/* root's t to every rank's t. */
int chm_comm_bcast(chm_comm *c, chm_tensor *t, int root);
/* root's send (size x recv's bytes, rank r's share at r x recv bytes) to every recv. */
int chm_comm_scatter(chm_comm *c, chm_tensor *send, chm_tensor *recv, int root);
/* Every send to root's recv (size x send's bytes, rank order); recv may be NULL off root. */
int chm_comm_gather(chm_comm *c, chm_tensor *send, chm_tensor *recv, int root);
int chm_comm_allgather(chm_comm *c, chm_tensor *send, chm_tensor *recv);
/*
 * Element-wise op over every rank's send into root's recv (same shape and
 * dtype; recv may be NULL off root). INT8 sums saturate to [-128, 127];
 * INT32 sums wrap as two's complement; FP32 sums add in rank order.
 */
int chm_comm_reduce(chm_comm *c, chm_tensor *send, chm_tensor *recv, chm_reduce_op op, int root);
int chm_comm_allreduce(chm_comm *c, chm_tensor *send, chm_tensor *recv, chm_reduce_op op);
int chm_comm_barrier(chm_comm *c);

#ifdef __cplusplus
}
#endif
#endif /* CHIMERA_COMM_H */
