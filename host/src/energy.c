/*
 * energy.c - the modelled energy of each command: its action counts (the
 * backend's op_time_us counts a kernel's; copies and loads are counted
 * here) times the device's table (overlays/energy), summed into the
 * command and the device's stats when it completes.
 */
#include <string.h>

#include "device.h"
#include "energy.h"
#include "undervolt.h"

/* count x pJ, nothing where the table has no sourced figure (< 0). */
static double charge(uint64_t count, double pj)
{
    return pj < 0 ? 0.0 : (double)count * pj;
}

double chm__energy_uj(const energy_table *t, const chm_op_actions *a)
{
    const double pj = charge(a->macs_int8, t->mac_int8) + charge(a->macs_fp32, t->mac_fp32) +
                      charge(a->adds_int32, t->add_int32) + charge(a->adds_fp32, t->add_fp32) +
                      charge(a->onchip_bytes, t->onchip_byte) + charge(a->ddr_bytes, t->ddr_byte) +
                      charge(a->hbm_bytes, t->hbm_byte) + charge(a->pcie_bytes, t->pcie_byte) +
                      charge(a->icap_bytes, t->icap_byte);
    return pj * 1e-6;
}

void chm__actions_bank(const chm_device *dev, int bank, uint64_t bytes, chm_op_actions *a)
{
    if (bank >= 0 && (uint32_t)bank < dev->plat->n_banks && !strncmp(dev->plat->banks[bank].name, "HBM", 3))
        a->hbm_bytes += bytes;
    else
        a->ddr_bytes += bytes;
}

void chm__actions_finish(chm_device *dev, chm_event *ev)
{
    if (ev->kind == CMD_LOAD) {
        memset(&ev->act, 0, sizeof ev->act);
        ev->act.measured_uj = -1.0;
        ev->act.icap_bytes = ev->bytes;
    } else if (ev->kind == CMD_WRITE || ev->kind == CMD_READ) {
        memset(&ev->act, 0, sizeof ev->act);
        ev->act.measured_uj = -1.0;
        ev->act.pcie_bytes = ev->bytes; /* and the card memory end of the DMA */
        chm__actions_bank(dev, ev->tensor->bank, ev->bytes, &ev->act);
    }
    ev->act.energy_uj = chm__energy_uj(&dev->energy, &ev->act);
    if (ev->kind == CMD_KERNEL)
        chm__uv_energy(dev, ev->engine - ENGINE_REGION0, ev->op.kind == KOP_CONV, &ev->act);
}

int chm_device_energy_table(chm_device *dev, chm_energy_table *out)
{
    if (!dev || !out)
        return CHM_FAIL(dev, CHM_EINVAL, "dev and out must not be NULL");
    _Static_assert(sizeof(chm_energy_table) == sizeof(energy_table), "the same fields");
    memcpy(out, &dev->energy, sizeof *out);
    return CHM_OK;
}
