# regmap.cmake - one register map, three readers.
#
# chm_regmap(JSON OUTDIR) reads a kernel's argument list (rtl/regmap/*.json)
# and writes, at configure time:
#   OUTDIR/<kernel>_regs.svh  SystemVerilog localparams (word offsets, the
#                             argument-word count) for the RTL;
#   OUTDIR/<kernel>_regs.h    C #defines and an argument table (name,
#                             offset, width; the index is the position) for
#                             the rtl and xrt backends.
# Offsets follow the Vitis HLS rule in shared/FORMATS.md: control 0x00,
# GIE 0x04, IER 0x08, ISR 0x0C, arguments from 0x10; a pointer takes two
# 32-bit words and a reserved one, a scalar one word and a reserved one.
function(chm_regmap json outdir)
  file(READ ${json} text)
  string(JSON kernel GET "${text}" kernel)
  string(TOUPPER ${kernel} K)
  string(JSON n LENGTH "${text}" args)
  math(EXPR last "${n} - 1")
  set(off 16)
  set(sv "// Generated from ${json} by rtl/cmake/regmap.cmake: do not edit.\n")
  set(c "/* Generated from ${json} by rtl/cmake/regmap.cmake: do not edit. */\n")
  string(APPEND c "#ifndef CHM_${K}_REGS_H\n#define CHM_${K}_REGS_H\n\n")
  set(table "")
  foreach(i RANGE ${last})
    string(JSON name GET "${text}" args ${i} name)
    string(JSON kind GET "${text}" args ${i} kind)
    string(TOUPPER ${name} N)
    math(EXPR word "${off} / 4")
    math(EXPR hex "${off}" OUTPUT_FORMAT HEXADECIMAL)
    string(APPEND sv "localparam int unsigned ${K}_${N}_WORD = ${word};  // byte ${hex}\n")
    string(APPEND c "#define CHM_${K}_${N} ${hex}u\n")
    if(kind STREQUAL "pointer")
      string(APPEND table "    { \"${name}\", ${hex}u, 64 },\n")
      math(EXPR off "${off} + 12")
    elseif(kind STREQUAL "scalar")
      string(APPEND table "    { \"${name}\", ${hex}u, 32 },\n")
      math(EXPR off "${off} + 8")
    else()
      message(FATAL_ERROR "${json}: argument ${name} has kind ${kind}, not pointer or scalar")
    endif()
  endforeach()
  math(EXPR words "${off} / 4")
  string(APPEND sv "localparam int unsigned ${K}_WORDS = ${words};  // control words and arguments\n")
  string(APPEND c "#define CHM_${K}_WORDS ${words}u /* 32-bit words of the control map */\n\n")
  string(APPEND c "#define CHM_${K}_NARGS ${n}u /* arguments, in the top function's order */\n\n")
  string(APPEND c "static const struct { const char *name; unsigned offset, bits; } chm_${kernel}_args[] = {\n${table}};\n\n#endif\n")
  chm_regmap_write(${outdir}/${kernel}_regs.svh "${sv}")
  chm_regmap_write(${outdir}/${kernel}_regs.h "${c}")
endfunction()

# Writes content to path unless it is there already (a reconfigure then
# rebuilds nothing that includes it, the Verilator models above all).
function(chm_regmap_write path content)
  if(EXISTS ${path})
    file(READ ${path} old)
    if(old STREQUAL content)
      return()
    endif()
  endif()
  file(WRITE ${path} "${content}")
endfunction()
