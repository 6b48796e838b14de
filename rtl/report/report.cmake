# report.cmake - what a CNN engine costs in UltraScale+ resources, by Yosys.
#
#   cmake -DYOSYS=yosys -DSRC=<rtl dir> -DGEN=<generated headers> -DWORK=<dir>
#         -DPE=32 -DOUT=<report.md> [-DENGINE=conv|pool|add|sparse]
#         [-DUNIT_TIMEOUT=seconds] -P report.cmake
#
# The pooling and add engines (ENGINE=pool, add) are synthesized whole.
# Each unique module is synthesized once at the engine's parameters
# (synth_xilinx -family xcup, hierarchy kept) and counted as many times as
# the engine instantiates it; the engine's own logic is synthesized with its
# submodules as black boxes. The sum is what Yosys maps, before Vivado's
# placement: no cross-module optimization, no timing closure. LUT counts
# include LUTs used as RAM (RAM64M8 = 8 LUTs).
cmake_minimum_required(VERSION 3.25)
foreach(v YOSYS SRC GEN WORK PE OUT)
  if(NOT DEFINED ${v})
    message(FATAL_ERROR "report.cmake needs -D${v}=...")
  endif()
endforeach()
math(EXPR CB "0")
foreach(i RANGE 1 10)
  math(EXPR p "1 << ${i}")
  if(p EQUAL ${PE})
    set(CB ${i})
  endif()
endforeach()
set(files ${SRC}/common/chm_axil_ctrl.sv ${SRC}/common/chm_mbqm.sv ${SRC}/common/chm_f32rule.sv ${SRC}/common/chm_clamp8.sv
          ${SRC}/common/chm_requant.sv ${SRC}/common/chm_off34.sv ${SRC}/common/chm_divider.sv
          ${SRC}/common/chm_run_fetch.sv ${SRC}/common/chm_tile_buf.sv ${SRC}/cnn/chm_pe.sv
          ${SRC}/cnn/chm_systolic_array.sv ${SRC}/cnn/chm_tile_walk.sv ${SRC}/cnn/chm_cnn_conv.sv)
string(JOIN " " file_list ${files})
set(inc "-I${GEN} -I${SRC}/common -I${SRC}/cnn")
math(EXPR pes "${PE} * ${PE}")
file(READ ${GEN}/cnn_conv2d_regs.svh regs)
string(REGEX MATCH "CNN_CONV2D_WORDS = ([0-9]+)" _ "${regs}")
set(words ${CMAKE_MATCH_1})
# Each unit's Yosys run is stopped after UNIT_TIMEOUT seconds (default 1800).
if(NOT DEFINED UNIT_TIMEOUT)
  set(UNIT_TIMEOUT 1800)
endif()
if(NOT DEFINED ENGINE)
  set(ENGINE conv)
endif()
# module | parameters | instances
set(units
  "chm_pe||${pes}"
  "chm_requant||${PE}"
  "chm_tile_buf|-set Rows ${PE} -set KBits 12|2"
  "chm_run_fetch|-set DestBits ${CB} -set KBits 12|2"
  "chm_tile_walk|-set Rows ${PE}|3"
  "chm_divider||2"
  "chm_axil_ctrl|-set NumWords ${words}|1"
  "chm_cnn_conv|-set Rows ${PE} -set Cols ${PE}|1")
set(title "CNN conv engine, ${PE} x ${PE} array")
if(ENGINE STREQUAL "sparse")
  set(files ${SRC}/common/chm_axil_ctrl.sv ${SRC}/common/chm_mbqm.sv ${SRC}/common/chm_f32rule.sv ${SRC}/common/chm_clamp8.sv
            ${SRC}/common/chm_requant.sv ${SRC}/common/chm_off34.sv ${SRC}/common/chm_run_fetch.sv
            ${SRC}/common/chm_run_write.sv ${SRC}/sparse/chm_sparse.sv)
  string(JOIN " " file_list ${files})
  set(inc "${inc} -I${SRC}/sparse")
  # Reduced buffers: at full size (4 x 16 KiB neuron buffers, 8 KiB rings, read at
  # up to 320 addresses a cycle) Yosys's memory_map did not finish in 40 minutes.
  set(units "chm_sparse|-set MaxK 1024 -set MaxM 256 -set Ring 2048|1")
  set(title "SPARSE engine (whole, reduced buffers: MaxK 1024, MaxM 256, Ring 2048)")
elseif(NOT ENGINE STREQUAL "conv")
  set(files ${SRC}/common/chm_axil_ctrl.sv ${SRC}/common/chm_mbqm.sv ${SRC}/common/chm_f32rule.sv ${SRC}/common/chm_clamp8.sv
            ${SRC}/common/chm_requant.sv ${SRC}/common/chm_off34.sv ${SRC}/common/chm_divider.sv ${SRC}/common/chm_run_fetch.sv
            ${SRC}/common/chm_run_write.sv ${SRC}/cnn/chm_add_table.sv ${SRC}/cnn/chm_cnn_${ENGINE}.sv)
  string(JOIN " " file_list ${files})
  set(units "chm_cnn_${ENGINE}||1")
  set(title "CNN ${ENGINE} engine (whole)")
endif()
set(kinds LUT FF DSP BRAM URAM)
foreach(k ${kinds})
  set(total_${k} 0)
endforeach()
set(rows "")
foreach(u ${units})
  string(REPLACE "|" ";" f "${u}")
  list(GET f 0 mod)
  list(GET f 1 par)
  list(GET f 2 count)
  set(bb "")
  if(mod STREQUAL "chm_cnn_conv")  # the engine's own logic: its submodules are counted above
    set(bb "blackbox chm_pe chm_requant chm_tile_buf chm_run_fetch chm_divider chm_axil_ctrl chm_systolic_array chm_tile_walk\n")
  endif()
  set(chp "")
  if(par)
    set(chp "chparam ${par} ${mod}\n")
  endif()
  file(WRITE ${WORK}/${mod}.ys "read_verilog -sv ${inc} ${file_list}\n${bb}${chp}synth_xilinx -family xcup -top ${mod}\ntee -q -o ${WORK}/${mod}.json stat -json\n")
  execute_process(COMMAND ${YOSYS} -q -l ${WORK}/${mod}.log ${WORK}/${mod}.ys
                  RESULT_VARIABLE rc OUTPUT_QUIET ERROR_QUIET TIMEOUT ${UNIT_TIMEOUT})
  if(rc MATCHES "timeout")
    # a unit Yosys does not finish is said in the table, and left out of the total
    string(APPEND rows "| ${mod} | ${count} | not mapped: Yosys did not finish in ${UNIT_TIMEOUT} s | | | | |\n")
    continue()
  endif()
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "yosys failed on ${mod}: see ${WORK}/${mod}.log")
  endif()
  file(READ ${WORK}/${mod}.json js)
  # Yosys 0.23 writes the hierarchy's module tree ("   chm_mbqm   1") into
  # stat -json's output when the top keeps submodules: not JSON, dropped.
  string(REGEX REPLACE "\n[ ]+[A-Za-z_$\\][^\n\"]*" "" js "${js}")
  string(JSON cells GET "${js}" design num_cells_by_type)
  string(JSON n LENGTH "${cells}")
  foreach(k ${kinds})
    set(c_${k} 0)
  endforeach()
  if(n GREATER 0)
    math(EXPR last "${n} - 1")
    foreach(i RANGE ${last})
      string(JSON type MEMBER "${cells}" ${i})
      string(JSON num GET "${cells}" ${type})
      if(type MATCHES "^LUT[1-6]$")
        math(EXPR c_LUT "${c_LUT} + ${num}")
      elseif(type STREQUAL "RAM64M8" OR type STREQUAL "RAM32M16")
        math(EXPR c_LUT "${c_LUT} + 8 * ${num}")
      elseif(type MATCHES "^RAM(64|32|128|256)(X1[SD]|M)$")
        math(EXPR c_LUT "${c_LUT} + ${num}")
      elseif(type MATCHES "^FD[CPRS]E$")
        math(EXPR c_FF "${c_FF} + ${num}")
      elseif(type STREQUAL "DSP48E2")
        math(EXPR c_DSP "${c_DSP} + ${num}")
      elseif(type STREQUAL "RAMB36E2")
        math(EXPR c_BRAM "${c_BRAM} + 2 * ${num}")
      elseif(type STREQUAL "RAMB18E2")
        math(EXPR c_BRAM "${c_BRAM} + ${num}")
      elseif(type STREQUAL "URAM288")
        math(EXPR c_URAM "${c_URAM} + ${num}")
      endif()
    endforeach()
  endif()
  if(mod STREQUAL "chm_cnn_conv")
    # The engine's own logic keeps its submodules as black-box cells: each must
    # be there as many times as counted above (a black box instantiated with a
    # parameter Yosys cannot derive is dropped without an error, and its
    # inputs' logic with it: the engine's figure would then be too small).
    foreach(v ${units})
      string(REPLACE "|" ";" vf "${v}")
      list(GET vf 0 vmod)
      list(GET vf 2 vcount)
      if(vmod STREQUAL "chm_pe")
        set(vmod chm_systolic_array)
        set(vcount 1)
      elseif(vmod STREQUAL "chm_cnn_conv")
        continue()
      endif()
      string(JSON got ERROR_VARIABLE err GET "${cells}" ${vmod})
      if(err OR NOT got EQUAL vcount)
        message(FATAL_ERROR "chm_cnn_conv keeps ${got} ${vmod} cells, ${vcount} expected: see ${WORK}/${mod}.log")
      endif()
    endforeach()
  endif()
  set(line "| ${mod} | ${count} |")
  foreach(k ${kinds})
    math(EXPR t "${c_${k}} * ${count}")
    math(EXPR total_${k} "${total_${k}} + ${t}")
    string(APPEND line " ${t} |")
  endforeach()
  string(APPEND rows "${line}\n")
endforeach()
# BRAM in 18 Kb halves above; report 36 Kb blocks as the budgets do.
math(EXPR bram36 "(${total_BRAM} + 1) / 2")
set(md "${title}, Yosys synth_xilinx -family xcup (per module, counted by instance)\n\n")
string(APPEND md "| module | instances | LUT | FF | DSP48E2 | BRAM18 | URAM |\n|---|--:|--:|--:|--:|--:|--:|\n${rows}")
string(APPEND md "| **total** | | **${total_LUT}** | **${total_FF}** | **${total_DSP}** | **${total_BRAM}** (${bram36} x 36 Kb) | **${total_URAM}** |\n")
file(WRITE ${OUT} "${md}")
message("${md}")
