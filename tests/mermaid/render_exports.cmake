# Exports every preset's folded graph (en and zh; cached, uncached and both) plus a graph of hostile names
# and an unfolded graph, then renders them all with render.mjs. Any export warning or render error fails, so
# does an edge pointing up the page, a label wrapped inside a word, or a `--mode both` diagram wider than
# kMaxBothWidth (side by side, seed-tiny's was 2,365 px and tinyllama's 2,741 px; stacked, about 1,500).
if(NOT EXISTS "${CHECK_DIR}/node_modules/mermaid/dist/mermaid.min.js"
   OR NOT EXISTS "${CHECK_DIR}/node_modules/playwright-core/package.json")
  message(FATAL_ERROR "${CHECK_DIR}/node_modules is missing or incomplete: run `npm ci` in ${CHECK_DIR}")
endif()
find_program(NODE node)
if(NOT NODE)
  message(FATAL_ERROR "node is missing: apt-get install nodejs npm")
endif()

file(REMOVE_RECURSE "${OUT_DIR}")
file(MAKE_DIRECTORY "${OUT_DIR}")
set(files)

set(kMaxBothWidth 2000)

function(export name)
  execute_process(COMMAND "${KVSCOPE_CLI}" export --format mermaid -o "${OUT_DIR}/${name}.mmd" ${ARGN}
                  RESULT_VARIABLE rc ERROR_VARIABLE err)
  if(NOT rc EQUAL 0 OR NOT err STREQUAL "")
    message(FATAL_ERROR "kvscope export ${ARGN} (exit ${rc}): ${err}")
  endif()
  set(checks --top-down)
  if(name MATCHES "-both-")
    list(APPEND checks --max-width ${kMaxBothWidth})
  endif()
  set(files ${files} ${checks} "${OUT_DIR}/${name}.mmd" PARENT_SCOPE)
endfunction()

file(GLOB preset_configs "${PRESET_DIR}/*/config.json")
foreach(config IN LISTS preset_configs)
  get_filename_component(dir "${config}" DIRECTORY)
  get_filename_component(preset "${dir}" NAME)
  foreach(labels en zh)
    foreach(mode cached uncached both)
      export("${preset}-${mode}-${labels}" --model ${preset} --meta --prompt-len 7 --steps 2 --labels ${labels}
             --mode ${mode})
    endforeach()
  endforeach()
endforeach()
export("seed-tiny-unfolded" --model seed-tiny --meta --prompt-len 7 --steps 2 --unfold --step 0,1,2 --mode both)
export("seed-tiny-prefill-all" --model seed-tiny --meta --prompt-len 7 --steps 2 --prefill all --labels zh --step 0,1)

execute_process(COMMAND "${HOSTILE_NAMES}" "${OUT_DIR}/hostile-names.mmd" "${OUT_DIR}/hostile-names.txt"
                RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "hostile_names failed (exit ${rc})")
endif()

execute_process(COMMAND "${NODE}" "${CHECK_DIR}/render.mjs" ${files}
                        --expect-lines "${OUT_DIR}/hostile-names.txt" "${OUT_DIR}/hostile-names.mmd"
                RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "Mermaid rejected an export (exit ${rc}); see above")
endif()
