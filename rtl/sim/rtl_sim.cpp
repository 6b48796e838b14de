// rtl_sim.cpp - the C interface of rtl_sim.h over Verilator's generated
// classes, and the AXI memory model of the card's banks.
//
// One clock cycle: drive the slave side of every AXI channel from the
// model's state, evaluate with the clock low (the engine's outputs settle),
// note which handshakes happen, raise the clock, then apply them to the
// model. A bank moves beats_per_cycle beats a cycle in all, over every
// port that uses it (reads and writes alike); a read burst's first beat
// comes read_latency cycles after its address.
#include <verilated.h>

#include <cmath>
#include <cstring>
#include <deque>
#include <memory>
#include <new>
#include <unordered_map>

#include "rtl_sim.h"

#ifdef CHM_RTL_HAVE_8
#include "Vcnn_conv8.h"
#include "Vgraph8.h"
#endif
#ifdef CHM_RTL_HAVE_32
#include "Vcnn_conv32.h"
#include "Vgraph32.h"
#endif
#include "Vcnn_add.h"
#include "Vcnn_pool.h"
#include "Vsparse.h"
#include "Vquant_probe.h"

namespace {

struct Burst {
    uint64_t addr;
    uint32_t beats, done;
    uint64_t ready_at;
    int bank;
};

// The memory side of the engine's masters.
const rtl_bank_timing kIdealBank = { 1.0, 0, 0 }; // outside rtl_run: no memory expected

struct MemModel {
    const rtl_mem *mem = nullptr;
    const rtl_bank_timing *banks = &kIdealBank;
    int n_banks = 1;
    double credit[RTL_MAX_BANKS] = {};
    bool claimed[RTL_MAX_BANKS] = {};
    rtl_stats st = {};

    int bank(uint64_t addr) const
    {
        int b = mem ? mem->bank_of(mem->ctx, addr) : -1;
        return b >= 0 && b < n_banks ? b : 0;
    }
    void new_cycle()
    {
        for (int b = 0; b < n_banks; b++) {
            double cap = banks[b].beats_per_cycle < 1.0 ? 1.0 : banks[b].beats_per_cycle;
            credit[b] += banks[b].beats_per_cycle;
            if (credit[b] > cap)
                credit[b] = cap;
            claimed[b] = false;
        }
    }
    // A port may move a beat of bank b this cycle if b has bandwidth left.
    bool claim(int b)
    {
        if (credit[b] < 1.0)
            return false;
        credit[b] -= 1.0;
        claimed[b] = true;
        return true;
    }
    void unclaim(int b)
    {
        credit[b] += 1.0;
    }
    void read_beat(uint64_t addr, uint32_t *words)
    {
        uint8_t bytes[64];
        const uint8_t *p = mem ? mem->map(mem->ctx, addr, 64) : nullptr;
        if (p) {
            memcpy(bytes, p, 64);
        } else {
            for (int i = 0; i < 64; i++) {
                const uint8_t *q = mem ? mem->map(mem->ctx, addr + i, 1) : nullptr;
                bytes[i] = q ? *q : 0; // bytes no buffer holds read as 0
            }
        }
        memcpy(words, bytes, 64);
    }
    void write_beat(uint64_t addr, const uint32_t *words, uint64_t strb)
    {
        uint8_t bytes[64];
        memcpy(bytes, words, 64);
        for (int i = 0; i < 64; i++) {
            if (!(strb >> i & 1))
                continue;
            uint8_t *q = mem ? mem->map(mem->ctx, addr + i, 1) : nullptr;
            if (q)
                *q = bytes[i];
        }
    }
};

struct ReadPort {
    std::deque<Burst> q;
    bool rvalid = false;
    int claim_bank = -1;
};

struct WritePort {
    std::deque<Burst> aw;
    std::deque<uint64_t> b; // response times
    bool wready = false;
    int claim_bank = -1;
};

// Bursts a port's memory side accepts before its data return (Vitis HLS's m_axi
// num_read_outstanding / num_write_outstanding, UG1399: default 16; the SPARSE
// gather port asks for 32, the CNN engines' read ports CNN_AXI_OUTSTANDING, 64).
// An engine keeping fewer in flight is held by its own queue. Writes: 32.
constexpr unsigned kMaxOutstanding = 64;
constexpr unsigned kMaxWriteOutstanding = 32;

struct Engine {
    virtual ~Engine() = default;
    virtual void reset() = 0;
    virtual int reg_write(uint32_t addr, uint32_t v) = 0;
    virtual int reg_read(uint32_t addr, uint32_t *v) = 0;
    virtual int run(const rtl_mem *mem, const rtl_bank_timing *banks, int n, uint64_t max,
                    rtl_stats *st) = 0;
    virtual void clock(uint64_t n) = 0;
};

// An engine with the CNN engines' ports: read masters m0 and m1, write master m2.
template <class V> struct AxiEngine : Engine {
    std::unique_ptr<VerilatedContext> ctx{new VerilatedContext};
    std::unique_ptr<V> top;
    MemModel mm;
    ReadPort rp[2];
    WritePort wp;
    uint64_t now = 0, t0 = 0; // cycles since reset; the current run's first cycle

    AxiEngine() : top(new V{ctx.get()}) { reset(); }
    ~AxiEngine() override { top->final(); }

    void idle_inputs()
    {
        top->s_awvalid_i = 0;
        top->s_wvalid_i = 0;
        top->s_bready_i = 1;
        top->s_arvalid_i = 0;
        top->s_rready_i = 1;
        top->m0_arready_i = 0;
        top->m0_rvalid_i = 0;
        top->m1_arready_i = 0;
        top->m1_rvalid_i = 0;
        top->m2_awready_i = 0;
        top->m2_wready_i = 0;
        top->m2_bvalid_i = 0;
    }

    void reset() override
    {
        idle_inputs();
        top->rst_ni = 0;
        for (int i = 0; i < 4; i++) {
            top->clk_i = 0;
            top->eval();
            top->clk_i = 1;
            top->eval();
        }
        top->rst_ni = 1;
        top->clk_i = 0;
        top->eval();
        rp[0] = ReadPort();
        rp[1] = ReadPort();
        wp = WritePort();
    }

    // Presents the read port's next beat if its data are due, the master
    // takes data (a beat it would not take holds no bank bandwidth) and its
    // bank has bandwidth.
    template <class Data>
    void drive_read(ReadPort &p, bool master_ready, unsigned char &arready, unsigned char &rvalid,
                    Data &rdata, unsigned char &rlast)
    {
        arready = p.q.size() < kMaxOutstanding;
        p.rvalid = false;
        p.claim_bank = -1;
        if (master_ready && !p.q.empty() && p.q.front().ready_at <= now) {
            Burst &b = p.q.front();
            if (mm.claim(b.bank)) {
                p.rvalid = true;
                p.claim_bank = b.bank;
                uint32_t words[16];
                mm.read_beat(b.addr + 64ull * b.done, words);
                for (int i = 0; i < 16; i++)
                    rdata[i] = words[i];
                rlast = b.done + 1 == b.beats;
            } else {
                mm.st.read_stall_cycles++;
            }
        }
        rvalid = p.rvalid;
    }

    // Offers the write port a beat of bandwidth if the master has data for an accepted burst.
    void drive_write(bool master_valid)
    {
        wp.wready = false;
        wp.claim_bank = -1;
        if (master_valid && !wp.aw.empty() && mm.claim(wp.aw.front().bank)) {
            wp.wready = true;
            wp.claim_bank = wp.aw.front().bank;
        }
        top->m2_wready_i = wp.wready;
    }

    // A burst of len + 1 beats of 64 bytes from addr leaves its 4 KiB page: AXI4 forbids it.
    static bool crosses_4k(uint64_t addr, unsigned len)
    {
        return (addr & 4095u) + 64u * (len + 1u) > 4096u;
    }

    // Applies a read port's handshakes of this cycle.
    void settle_read(ReadPort &p, bool ar_fire, uint64_t araddr, unsigned arlen, bool r_fire)
    {
        if (p.rvalid && !r_fire)
            mm.unclaim(p.claim_bank);
        if (r_fire) {
            mm.st.beats_read++;
            if (++p.q.front().done == p.q.front().beats)
                p.q.pop_front();
        }
        if (ar_fire) {
            if (crosses_4k(araddr, arlen))
                mm.st.axi_4k_crossings++;
            int bank = mm.bank(araddr);
            p.q.push_back({araddr, arlen + 1u, 0u, now + mm.banks[bank].read_latency, bank});
            mm.st.bursts_read++;
        }
    }

    void step()
    {
        mm.new_cycle();
        // The masters' ready and write-valid outputs as this cycle starts,
        // settled by the last evaluation (the engines raise them from their
        // own registers, never from the slave's valids or readies).
        const bool ready0 = top->m0_rready_o, ready1 = top->m1_rready_o;
        const bool wvalid = top->m2_wvalid_o;
        // The ports take turns at the bank's bandwidth, a different one first each cycle,
        // counted from the run's start: a run's cycles do not depend on what the engine
        // ran before (counted from the engine's first cycle, they moved by up to 1.7%).
        const int first = (int)((now - t0) % 3);
        for (int k = 0; k < 3; k++) {
            const int port = (first + k) % 3;
            if (port == 0)
                drive_read(rp[0], ready0, top->m0_arready_i, top->m0_rvalid_i, top->m0_rdata_i,
                           top->m0_rlast_i);
            else if (port == 1)
                drive_read(rp[1], ready1, top->m1_arready_i, top->m1_rvalid_i, top->m1_rdata_i,
                           top->m1_rlast_i);
            else
                drive_write(wvalid);
        }
        top->m2_awready_i = wp.aw.size() < kMaxWriteOutstanding;
        top->m2_bvalid_i = !wp.b.empty() && wp.b.front() <= now;
        top->clk_i = 0;
        top->eval();
        const bool ar0 = top->m0_arvalid_o && top->m0_arready_i;
        const bool r0 = top->m0_rvalid_i && top->m0_rready_o;
        const bool ar1 = top->m1_arvalid_o && top->m1_arready_i;
        const bool r1 = top->m1_rvalid_i && top->m1_rready_o;
        const bool aw = top->m2_awvalid_o && top->m2_awready_i;
        const bool w = top->m2_wvalid_o && top->m2_wready_i;
        const bool b = top->m2_bvalid_i && top->m2_bready_o;
        const uint64_t a0 = top->m0_araddr_o, a1 = top->m1_araddr_o, awa = top->m2_awaddr_o;
        const unsigned l0 = top->m0_arlen_o, l1 = top->m1_arlen_o, awl = top->m2_awlen_o;
        uint32_t wdata[16];
        for (int i = 0; i < 16; i++)
            wdata[i] = top->m2_wdata_o[i];
        const uint64_t wstrb = top->m2_wstrb_o;
        const bool wlast = top->m2_wlast_o;
        top->clk_i = 1;
        top->eval();
        top->clk_i = 0;
        top->eval();
        settle_read(rp[0], ar0, a0, l0, r0);
        settle_read(rp[1], ar1, a1, l1, r1);
        if (wp.wready && !w)
            mm.unclaim(wp.claim_bank);
        if (w) {
            Burst &bu = wp.aw.front();
            mm.write_beat(bu.addr + 64ull * bu.done, wdata, wstrb);
            mm.st.beats_written++;
            if (wlast != (bu.done + 1 == bu.beats))
                mm.st.axi_wlast_errors++;
            if (++bu.done == bu.beats) {
                wp.b.push_back(now + mm.banks[bu.bank].write_latency);
                wp.aw.pop_front();
            }
        }
        if (aw) {
            if (crosses_4k(awa, awl))
                mm.st.axi_4k_crossings++;
            int bank = mm.bank(awa);
            wp.aw.push_back({awa, awl + 1u, 0u, 0, bank});
            mm.st.bursts_written++;
        }
        if (b)
            wp.b.pop_front();
        now++;
    }

    int reg_write(uint32_t addr, uint32_t v) override
    {
        top->s_awaddr_i = addr & 0xFFF;
        top->s_awvalid_i = 1;
        top->s_wdata_i = v;
        top->s_wstrb_i = 0xF;
        top->s_wvalid_i = 1;
        top->s_bready_i = 1;
        for (int i = 0; i < 16 && (top->s_awvalid_i || top->s_wvalid_i); i++) {
            top->eval();
            const bool awf = top->s_awready_o, wf = top->s_wready_o;
            step();
            if (awf)
                top->s_awvalid_i = 0;
            if (wf)
                top->s_wvalid_i = 0;
        }
        int resp = -1;
        for (int i = 0; i < 16 && resp < 0; i++) {
            top->eval();
            if (top->s_bvalid_o)
                resp = top->s_bresp_o;
            step();
        }
        return resp < 0 ? 2 : resp;
    }

    int reg_read(uint32_t addr, uint32_t *v) override
    {
        top->s_araddr_i = addr & 0xFFF;
        top->s_arvalid_i = 1;
        top->s_rready_i = 1;
        for (int i = 0; i < 16 && top->s_arvalid_i; i++) {
            top->eval();
            const bool f = top->s_arready_o;
            step();
            if (f)
                top->s_arvalid_i = 0;
        }
        for (int i = 0; i < 16; i++) {
            top->eval();
            if (top->s_rvalid_o) {
                *v = top->s_rdata_o;
                int resp = top->s_rresp_o;
                step();
                return resp;
            }
            step();
        }
        return 2;
    }

    int run(const rtl_mem *mem, const rtl_bank_timing *banks, int n, uint64_t max,
            rtl_stats *st) override
    {
        mm.mem = mem;
        mm.banks = n > 0 ? banks : &kIdealBank;
        mm.n_banks = n > 0 ? (n < RTL_MAX_BANKS ? n : RTL_MAX_BANKS) : 1;
        mm.st = rtl_stats{};
        for (int b = 0; b < RTL_MAX_BANKS; b++)
            mm.credit[b] = 0;
        const uint64_t start = now;
        t0 = now;
        while (!top->interrupt_o && now - start < max)
            step();
        mm.st.cycles = now - start;
        if (st)
            *st = mm.st;
        mm.mem = nullptr;
        mm.banks = &kIdealBank;
        mm.n_banks = 1;
        return top->interrupt_o ? 0 : -1;
    }

    void clock(uint64_t n) override
    {
        for (uint64_t i = 0; i < n; i++)
            step();
    }
};

} // namespace

/*
 * Weak cells of an engine's tile buffers (chm_tile_buf's BufId 0: A, 1: B,
 * 2: the GRAPH combination's A), drawn the first time a run writes to a
 * buffer with faults set: k = frac x cells, at positions from a seeded
 * sequence (8 data + 1 check byte's worth of cells per 8 bytes: 72-bit
 * SECDED words of 8 lanes). Per written byte: the data bits on weak cells,
 * and the word's count of weak cells (data and check) for ECC's verdict.
 */
struct FaultState {
    double frac = 0;
    uint64_t seed = 0;
    int ecc = 0;
    bool built[3] = { false, false, false };
    std::unordered_map<uint64_t, uint8_t> mask[3];  /* byte -> weak data bits */
    std::unordered_map<uint64_t, uint8_t> words[3]; /* 8-byte word -> weak cells */
    rtl_fault_counts counts = {};
};

static uint64_t fault_mix(uint64_t x)
{
    x += 0x9e3779b97f4a7c15ull;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
    return x ^ (x >> 31);
}

/* The engine running on this thread, when its buffers have weak cells. */
static thread_local FaultState *cur_faults;

static void build_faults(FaultState *f, unsigned id, unsigned rows, unsigned kbits)
{
    const uint64_t bytes = (uint64_t)rows << (kbits + 1), cells = bytes / 8 * 72;
    const uint64_t k = (uint64_t)std::llround(f->frac * (double)cells);
    const uint64_t seed = f->seed ^ fault_mix(id + 1);
    std::unordered_map<uint64_t, bool> taken;
    for (uint64_t i = 0, n = 0; n < k && i < 64 * k + 1024; i++) {
        const uint64_t cell = fault_mix(seed + i) % cells;
        if (!taken.emplace(cell, true).second)
            continue;
        n++;
        const uint64_t word = cell / 72, bit = cell % 72;
        f->words[id][word]++;
        if (bit < 64)
            f->mask[id][word * 8 + bit / 8] |= (uint8_t)(1u << (bit % 8));
    }
    f->built[id] = true;
}

extern "C" unsigned char chm_tile_fault(unsigned int id, unsigned int rows, unsigned int kbits,
                                        unsigned int row, unsigned int lane, unsigned int addr,
                                        unsigned char data)
{
    FaultState *f = cur_faults;
    if (!f || id > 2)
        return data;
    if (!f->built[id])
        build_faults(f, id, rows, kbits);
    const uint64_t byte = (((uint64_t)row << (kbits - 5)) + addr) * 64 + lane;
    const auto it = f->mask[id].find(byte);
    if (it == f->mask[id].end())
        return data;
    const uint64_t bits = (uint64_t)__builtin_popcount(it->second);
    const uint8_t weak = f->words[id][byte / 8];
    f->counts.injected += bits;
    if (f->ecc && weak == 1) {
        f->counts.corrected += bits;
        return data;
    }
    if (f->ecc && weak == 2)
        f->counts.detected += bits;
    else
        f->counts.undetected += bits;
    return (unsigned char)(data ^ it->second);
}

struct rtl_engine {
    std::unique_ptr<Engine> e;
    FaultState faults;
};

extern "C" {

int rtl_engine_sizes(int *sizes, int max)
{
    int n = 0;
#ifdef CHM_RTL_HAVE_8
    if (n < max)
        sizes[n++] = 8;
#endif
#ifdef CHM_RTL_HAVE_32
    if (n < max)
        sizes[n++] = 32;
#endif
    return n;
}

rtl_engine *rtl_engine_new(rtl_kind kind, int pe)
{
    std::unique_ptr<Engine> e;
    switch (kind) {
    case RTL_CNN_CONV:
#ifdef CHM_RTL_HAVE_8
        if (pe == 8)
            e.reset(new AxiEngine<Vcnn_conv8>);
#endif
#ifdef CHM_RTL_HAVE_32
        if (pe == 32)
            e.reset(new AxiEngine<Vcnn_conv32>);
#endif
        break;
    case RTL_CNN_POOL:
        e.reset(new AxiEngine<Vcnn_pool>);
        break;
    case RTL_CNN_ADD:
        e.reset(new AxiEngine<Vcnn_add>);
        break;
    case RTL_SPARSE:
        e.reset(new AxiEngine<Vsparse>);
        break;
    case RTL_GRAPH:
#ifdef CHM_RTL_HAVE_8
        if (pe == 8)
            e.reset(new AxiEngine<Vgraph8>);
#endif
#ifdef CHM_RTL_HAVE_32
        if (pe == 32)
            e.reset(new AxiEngine<Vgraph32>);
#endif
        break;
    }
    if (!e)
        return nullptr;
    return new rtl_engine{std::move(e)};
}

rtl_engine *rtl_engine_new_cnn_conv(int pe)
{
    return rtl_engine_new(RTL_CNN_CONV, pe);
}

void rtl_engine_free(rtl_engine *e)
{
    delete e;
}

void rtl_engine_reset(rtl_engine *e)
{
    e->e->reset();
}

int rtl_reg_write(rtl_engine *e, uint32_t addr, uint32_t value)
{
    return e->e->reg_write(addr, value);
}

int rtl_reg_read(rtl_engine *e, uint32_t addr, uint32_t *value)
{
    return e->e->reg_read(addr, value);
}

int rtl_run(rtl_engine *e, const rtl_mem *mem, const rtl_bank_timing *banks, int n_banks,
            uint64_t max_cycles, rtl_stats *st)
{
    cur_faults = e->faults.frac > 0 ? &e->faults : nullptr;
    const int rc = e->e->run(mem, banks, n_banks, max_cycles, st);
    cur_faults = nullptr;
    return rc;
}

void rtl_engine_set_faults(rtl_engine *e, double frac, uint64_t seed, int ecc)
{
    FaultState &f = e->faults;
    if (f.frac == frac && f.seed == seed && f.ecc == ecc)
        return;
    const rtl_fault_counts keep = f.counts;
    f = FaultState();
    f.frac = frac, f.seed = seed, f.ecc = ecc, f.counts = keep;
}

void rtl_engine_fault_counts(const rtl_engine *e, rtl_fault_counts *out)
{
    *out = e->faults.counts;
}

void rtl_clock(rtl_engine *e, uint64_t n)
{
    e->e->clock(n);
}

struct rtl_quant_probe {
    VerilatedContext ctx;
    Vquant_probe m{&ctx};
};

rtl_quant_probe *rtl_quant_probe_new(void)
{
    return new (std::nothrow) rtl_quant_probe;
}

void rtl_quant_probe_eval(rtl_quant_probe *p, const rtl_quant_in *in, rtl_quant_out *out)
{
    Vquant_probe &m = p->m;
    m.acc_i = (uint32_t)in->acc;
    m.off_i = (uint64_t)in->off & ((UINT64_C(1) << 34) - 1);
    m.mult_i = (uint32_t)in->mult;
    m.shift_i = (uint32_t)in->shift;
    m.out_zp_i = (uint32_t)in->out_zp;
    m.act_min_i = (uint32_t)in->act_min;
    m.act_max_i = (uint32_t)in->act_max;
    m.eval();
    out->mbqm = (int32_t)m.mbqm_o;
    out->f32 = (int32_t)m.f32_o;
    out->out = (int8_t)m.out_o;
    out->out_fixed = (int8_t)m.out_fixed_o;
}

void rtl_quant_probe_free(rtl_quant_probe *p)
{
    delete p;
}
}
