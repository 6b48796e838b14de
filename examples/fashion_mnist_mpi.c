/*
 * fashion_mnist_mpi - data-parallel CNN inference over MPI ranks, one card a
 * rank (chimera_comm.h): rank 0 reads the Fashion-MNIST test set, scatters
 * equal shares of whole batches to every rank's card, each rank runs its
 * share, and rank 0 gathers the logits and checks every image against the
 * plain-C reference. Card-to-card traffic goes by host staging; its time is
 * modelled beside each rank's card time.
 *
 *   mpirun -np 3 ./build/examples/fashion_mnist_mpi [--device emu:u250]
 *          [--limit N] [--batch 100] [--model FILE.chmq] [--data DIR]
 *
 * Exits 0 only if rank 0 found every image's logits equal to the reference's.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chimera_comm.h"
#include "cnn_model.h"
#include "idx.h"

#ifndef CHM_DEFAULT_MODEL
#define CHM_DEFAULT_MODEL "examples/models/fmnist_cnn.chmq"
#endif

static chm_comm *comm;

#define DIE(...)                                                                          \
    do {                                                                                  \
        fprintf(stderr, "fashion_mnist_mpi: rank %d: ", chm_comm_rank(comm));             \
        fprintf(stderr, __VA_ARGS__);                                                     \
        fputc('\n', stderr);                                                              \
        exit(2);                                                                          \
    } while (0)

static chm_tensor *tensor(chm_device *d, chm_dtype dt, int64_t n)
{
    chm_tensor *t;
    const int64_t dims[1] = { n };
    if (chm_tensor_alloc(d, dt, 1, dims, CHM_BANK_DEFAULT, &t))
        DIE("%s", chm_last_error(d));
    return t;
}

static int argmax(const int8_t *v, int n)
{
    int b = 0;
    for (int i = 1; i < n; i++)
        b = v[i] > v[b] ? i : b;
    return b;
}

int main(int argc, char **argv)
{
    if (chm_comm_init(&argc, &argv, NULL, &comm))
        return 2;
    const char *device = "emu:u250", *model = CHM_DEFAULT_MODEL;
    const char *data = "/usr/share/datasets/fashion-mnist";
    int limit = 10000, batch = 100;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (!strcmp(argv[i], "--device")) device = argv[i + 1];
        else if (!strcmp(argv[i], "--limit")) limit = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--batch")) batch = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--model")) model = argv[i + 1];
        else if (!strcmp(argv[i], "--data")) data = argv[i + 1];
        else DIE("unknown option %s", argv[i]);
    }
    const int rank = chm_comm_rank(comm), size = chm_comm_size(comm);
    cnn_model m;
    if (model_load(model, &m))
        DIE("cannot load %s", model);
    const size_t per = (size_t)m.h * m.w * m.c;
    /* rank 0 reads and quantizes the images; everybody learns the share size */
    uint8_t *px = NULL, *labels = NULL;
    int n = 0, rows, cols, nl;
    if (rank == 0) {
        char ip[512], lp[512];
        snprintf(ip, sizeof ip, "%s/t10k-images-idx3-ubyte.gz", data);
        snprintf(lp, sizeof lp, "%s/t10k-labels-idx1-ubyte.gz", data);
        if (idx_load_images(ip, &px, &n, &rows, &cols) || idx_load_labels(lp, &labels, &nl) || nl != n)
            DIE("no Fashion-MNIST test set in %s (apt-get install dataset-fashion-mnist)", data);
        n = limit < n ? limit : n;
    }
    chm_device *dev;
    if (chm_device_open(device, &dev))
        DIE("%s", chm_last_error(NULL));
    chm_tensor *tn = tensor(dev, CHM_INT32, 1);
    chm_tensor_write(tn, 0, &n, sizeof n);
    if (chm_comm_bcast(comm, tn, 0))
        DIE("%s", chm_comm_error(comm));
    chm_tensor_read(tn, 0, &n, sizeof n);
    const int batches = (n + batch - 1) / batch, share = (batches + size - 1) / size * batch;
    const int padded = share * size;
    /* the images, scattered from rank 0's card to every rank's card */
    chm_tensor *all = tensor(dev, CHM_INT8, rank == 0 ? (int64_t)padded * per : 1);
    chm_tensor *mine = tensor(dev, CHM_INT8, (int64_t)share * per);
    if (rank == 0) {
        int8_t *q = calloc((size_t)padded * per, 1);
        for (size_t i = 0; q && i < (size_t)n * per; i++) {
            const long v = lround(px[i] / 255.0 / m.in_scale) + m.in_zp;
            q[i] = (int8_t)(v < -128 ? -128 : v > 127 ? 127 : v);
        }
        if (!q || chm_tensor_write(all, 0, q, (size_t)padded * per))
            DIE("no room for the images");
        free(q);
    }
    if (chm_comm_scatter(comm, rank == 0 ? all : NULL, mine, 0))
        DIE("%s", chm_comm_error(comm));
    /* this rank's share on its card */
    int8_t *img = malloc((size_t)share * per), *logits = calloc((size_t)share * m.n_classes, 1);
    model_dev *md;
    if (!img || !logits || chm_tensor_read(mine, 0, img, (size_t)share * per) ||
        model_dev_create(dev, &m, batch, 0, &md))
        DIE("%s", chm_last_error(dev));
    chm_device_stats s0, s1;
    chm_device_stats_get(dev, &s0);
    for (int b = 0; b < share; b += batch)
        if (model_dev_enqueue(md, img + (size_t)b * per, logits + (size_t)b * m.n_classes))
            DIE("%s", chm_last_error(dev));
    if (chm_finish(dev))
        DIE("%s", chm_last_error(dev));
    chm_device_stats_get(dev, &s1);
    /* logits and each rank's card time back to rank 0 */
    chm_tensor *tl = tensor(dev, CHM_INT8, (int64_t)share * m.n_classes);
    chm_tensor *tall = tensor(dev, CHM_INT8, (int64_t)padded * m.n_classes);
    const float card_ms = (float)((s1.device_makespan_us - s0.device_makespan_us) / 1e3);
    chm_tensor *tt = tensor(dev, CHM_FP32, 1), *ttall = tensor(dev, CHM_FP32, size);
    chm_tensor_write(tl, 0, logits, (size_t)share * m.n_classes);
    chm_tensor_write(tt, 0, &card_ms, sizeof card_ms);
    if (chm_comm_gather(comm, tl, rank == 0 ? tall : NULL, 0) ||
        chm_comm_gather(comm, tt, rank == 0 ? ttall : NULL, 0))
        DIE("%s", chm_comm_error(comm));
    int rc = 0;
    if (rank == 0) {
        int8_t *got = malloc((size_t)padded * m.n_classes), *want = malloc((size_t)n * m.n_classes);
        float *ms = malloc(sizeof(float) * (size_t)size);
        int8_t *q = malloc((size_t)n * per);
        chm_tensor_read(tall, 0, got, (size_t)padded * m.n_classes);
        chm_tensor_read(ttall, 0, ms, sizeof(float) * (size_t)size);
        chm_tensor_read(all, 0, q, (size_t)n * per);
        model_run_ref(&m, q, n, want);
        int same = 0, correct = 0;
        float slowest = 0;
        for (int i = 0; i < n; i++) {
            same += !memcmp(got + (size_t)i * m.n_classes, want + (size_t)i * m.n_classes,
                            (size_t)m.n_classes);
            correct += argmax(got + (size_t)i * m.n_classes, m.n_classes) == labels[i];
        }
        printf("ranks             %d, one %s card each, %d images each (batches of %d)\n", size,
               device, share, batch);
        for (int r = 0; r < size; r++) {
            printf("rank %d            card time %.2f ms modelled\n", r, ms[r]);
            slowest = ms[r] > slowest ? ms[r] : slowest;
        }
        printf("device time       %.2f us/image modelled (the slowest rank's card)\n",
               1e3 * slowest / padded);
        printf("communication     %.1f us modelled on rank 0 (host staging: PCIe both ends + a "
               "12.5 GB/s link)\n", chm_comm_time_us(comm));
        printf("accuracy          int8 %.2f%% on %d images\n", 100.0 * correct / n, n);
        printf("agreement         %d of %d images with logits identical to the reference\n", same, n);
        rc = same == n ? 0 : 1;
        printf("result            %s\n", rc ? "FAIL" : "PASS");
        free(got), free(want), free(ms), free(q);
    }
    model_dev_free(md);
    chm_tensor *ts[] = { tn, all, mine, tl, tall, tt, ttall };
    for (size_t i = 0; i < sizeof ts / sizeof ts[0]; i++)
        chm_tensor_free(ts[i]);
    chm_device_close(dev);
    free(img), free(logits), free(px), free(labels);
    model_free(&m);
    chm_comm_free(comm);
    return rc;
}
