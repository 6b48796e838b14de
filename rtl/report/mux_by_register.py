#!/usr/bin/env python3
"""Where a module's multiplexers go, by the register they feed.

Yosys maps a flattened module as one block, so its LUT count says nothing
about which signals cost them. Before mapping, though, every multiplexer
that `proc` made from an always_ff block still leads to a flip-flop's D
input. This walks back from each flip-flop through those multiplexers and
charges their size (width x select inputs) to the register, then prints
the registers that cost most. How the conv engine's parameter copies were
found (README, Resources (Yosys)).

Make the input with Yosys (the engine's submodules black-boxed, small
parameters for speed), for example:

  read_verilog -sv -I build/rtl_gen -I rtl/common -I rtl/cnn <sources>
  blackbox chm_pe chm_requant chm_tile_buf chm_run_fetch chm_divider \
           chm_axil_ctrl chm_systolic_array chm_tile_walk
  chparam -set Rows 8 -set Cols 8 chm_cnn_conv
  hierarchy -top chm_cnn_conv
  proc; flatten; opt; wreduce; alumacc; opt; memory -nomap; opt_clean
  write_json coarse.json

then: python3 rtl/report/mux_by_register.py coarse.json chm_cnn_conv [N]
"""
import collections
import json
import re
import sys


def param(cell, name):
    v = cell["parameters"].get(name)
    if v is None:
        return 0
    return int(v, 2) if isinstance(v, str) else int(v)


def main():
    if len(sys.argv) < 3:
        sys.exit("usage: mux_by_register.py design.json module [rows]")
    design = json.load(open(sys.argv[1]))
    rows = int(sys.argv[3]) if len(sys.argv) > 3 else 25
    mods = [m for name, m in design["modules"].items() if name.endswith(sys.argv[2])]
    if not mods:
        sys.exit("no module %s in %s" % (sys.argv[2], sys.argv[1]))
    mod = mods[0]

    # a readable name for every bit: a public net's if there is one
    name_of = {}
    for net, v in mod["netnames"].items():
        for b in v["bits"]:
            if isinstance(b, int) and (b not in name_of or name_of[b].startswith("$")):
                name_of[b] = net
    driver = {}
    for cname, c in mod["cells"].items():
        for port, d in c.get("port_directions", {}).items():
            if d == "output":
                for b in c["connections"][port]:
                    if isinstance(b, int):
                        driver[b] = cname

    cost = collections.Counter()
    seen = set()
    for c in mod["cells"].values():
        if "dff" not in c["type"]:
            continue
        reg = re.sub(r"\[\d+\]", "[]", name_of.get(c["connections"]["Q"][0], "?"))
        pending = [b for b in c["connections"]["D"] if isinstance(b, int)]
        while pending:
            src = driver.get(pending.pop())
            if src is None or src in seen:
                continue
            m = mod["cells"][src]
            if m["type"] not in ("$mux", "$pmux"):
                continue
            seen.add(src)
            cost[reg] += max(param(m, "WIDTH"), 1) * max(param(m, "S_WIDTH"), 1)
            for port in ("A", "B"):
                pending += [b for b in m["connections"][port] if isinstance(b, int)]

    total = sum(cost.values()) or 1
    print("%10s %6s  register (multiplexer bits x select inputs feeding it)" % ("cost", "share"))
    for reg, n in cost.most_common(rows):
        print("%10d %5.1f%%  %s" % (n, 100.0 * n / total, reg))
    print("%10d         total" % total)


if __name__ == "__main__":
    main()
