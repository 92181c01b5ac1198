# cmake -P script run by the packaging_install_tree test (see CMakeLists.txt for its variables).
# Fails with a message naming the first thing missing or wrong; removes its prefix either way.

function(fail message)
  file(REMOVE_RECURSE "${PREFIX}")
  message(FATAL_ERROR "packaging: ${message}")
endfunction()

function(require_file path)
  if(NOT EXISTS "${PREFIX}/${path}" OR IS_DIRECTORY "${PREFIX}/${path}")
    fail("${path} is not installed (prefix ${PREFIX})")
  endif()
endfunction()

# A PNG's width and height are the big-endian u32s at offsets 16 and 20 (the IHDR chunk).
function(require_png path size)
  require_file("${path}")
  file(READ "${PREFIX}/${path}" signature LIMIT 8 HEX)
  if(NOT signature STREQUAL "89504e470d0a1a0a")
    fail("${path} is not a PNG")
  endif()
  file(READ "${PREFIX}/${path}" dims OFFSET 16 LIMIT 8 HEX)
  string(SUBSTRING "${dims}" 0 8 w)
  string(SUBSTRING "${dims}" 8 8 h)
  math(EXPR w "0x${w}")
  math(EXPR h "0x${h}")
  if(NOT w EQUAL size OR NOT h EQUAL size)
    fail("${path} is ${w}x${h}, not ${size}x${size}")
  endif()
endfunction()

function(run_tool what)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(NOT rc EQUAL 0)
    fail("${what} failed (${rc}): ${out}${err}")
  endif()
  set(tool_output "${out}${err}" PARENT_SCOPE)
endfunction()

file(REMOVE_RECURSE "${PREFIX}")
run_tool("cmake --install" "${CMAKE_COMMAND}" --install "${BUILD_DIR}" --prefix "${PREFIX}")

# The command-line tool runs from the installed tree.
require_file(bin/forkscope-cli)
run_tool("installed forkscope-cli --version" "${PREFIX}/bin/forkscope-cli" --version)
if(NOT tool_output MATCHES "forkscope-cli ${VERSION}")
  fail("installed forkscope-cli --version printed '${tool_output}', expected 'forkscope-cli ${VERSION}'")
endif()

# The scenario library: the directory always, and every committed scenario in it.
if(NOT IS_DIRECTORY "${PREFIX}/share/forkscope/scenarios")
  fail("share/forkscope/scenarios is not installed")
endif()
file(GLOB scenarios RELATIVE "${SOURCE_DIR}/resources/scenarios" "${SOURCE_DIR}/resources/scenarios/*.json")
foreach(scenario IN LISTS scenarios)
  require_file("share/forkscope/scenarios/${scenario}")
endforeach()
require_file(share/forkscope/scenario.schema.json)

# The man page: installed, and documenting every command, option and exit status of the contract.
# (gzip is Essential on Debian: compressing the page at build time needs it too.)
require_file(share/man/man1/forkscope-cli.1.gz)
execute_process(COMMAND gzip -dc "${PREFIX}/share/man/man1/forkscope-cli.1.gz"
                RESULT_VARIABLE rc OUTPUT_VARIABLE man ERROR_VARIABLE err)
if(NOT rc EQUAL 0)
  fail("share/man/man1/forkscope-cli.1.gz does not decompress: ${err}")
endif()
foreach(needle IN ITEMS ".TH FORKSCOPE-CLI 1" ".SH NAME" ".SH SYNOPSIS" ".SH DESCRIPTION" ".SH \"EXIT STATUS\""
                        ".B list" ".B run" ".B replay" ".B export" ".B bench"
                        "\\-\\-start\\-method" "\\-\\-fix" "\\-\\-set" "\\-\\-record" "\\-\\-timeout" "\\-\\-json"
                        "\\-\\-format" "chrome\\-json" "\\-o" "\\-\\-repetitions" "\\-\\-scale" "\\-\\-only"
                        "\\-\\-version" ".B 0" ".B 1" ".B 2")
  string(FIND "${man}" "${needle}" at)
  if(at EQUAL -1)
    fail("the man page lacks '${needle}'")
  endif()
endforeach()

# What Debian policy asks of every package's documentation directory.
require_file(share/doc/forkscope/copyright)
require_file(share/doc/forkscope/changelog.gz)
require_file(share/doc/forkscope/CHANGELOG.md.gz)

# The desktop entry and metainfo are validated as committed, with or without the GUI built.
if(NOT DESKTOP_FILE_VALIDATE OR NOT APPSTREAMCLI)
  fail("desktop-file-validate or appstreamcli is missing: install desktop-file-utils and appstream "
       "(packaging/debian-build-deps.txt)")
endif()
run_tool("desktop-file-validate" "${DESKTOP_FILE_VALIDATE}" "${SOURCE_DIR}/resources/forkscope.desktop")
if(tool_output MATCHES "error:")
  fail("desktop-file-validate: ${tool_output}")
endif()
run_tool("appstreamcli validate" "${APPSTREAMCLI}" validate --no-net
         "${SOURCE_DIR}/resources/io.forkscope.Forkscope.metainfo.xml")

# With the GUI: its binary, desktop entry, metainfo and icons, under the application id.
set(app io.forkscope.Forkscope)
set(gui_files bin/forkscope share/applications/${app}.desktop share/metainfo/${app}.metainfo.xml
              share/icons/hicolor/scalable/apps/${app}.svg)
if(WITH_GUI)
  foreach(path IN LISTS gui_files)
    require_file("${path}")
  endforeach()
  foreach(size 48 128 256)
    require_png("share/icons/hicolor/${size}x${size}/apps/${app}.png" ${size})
  endforeach()
  file(READ "${PREFIX}/share/applications/${app}.desktop" desktop)
  if(NOT desktop MATCHES "\nExec=forkscope" OR NOT desktop MATCHES "\nIcon=${app}\n")
    fail("the installed desktop entry does not start forkscope with the ${app} icon")
  endif()
else()
  # Without the GUI nothing may announce it.
  foreach(path IN LISTS gui_files)
    if(EXISTS "${PREFIX}/${path}")
      fail("${path} is installed although the GUI is not built")
    endif()
  endforeach()
endif()

file(REMOVE_RECURSE "${PREFIX}")
message(STATUS "packaging: install tree complete (GUI: ${WITH_GUI})")
