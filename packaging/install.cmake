# Install layout (GNUInstallDirs), included from the top CMakeLists.txt after app/ so that every
# target already exists. The .deb (packaging/cpack.cmake) is this tree under /usr.
#
#   bin/forkscope-cli, bin/forkscope (the GUI, when it is built)
#   share/forkscope/scenarios/*.json, share/forkscope/scenario.schema.json
#   share/applications/io.forkscope.Forkscope.desktop, share/metainfo/io.forkscope.Forkscope.metainfo.xml
#   share/icons/hicolor/{scalable,48x48,128x128,256x256}/apps/io.forkscope.Forkscope.{svg,png}
#   share/man/man1/forkscope-cli.1.gz, share/doc/forkscope/{changelog.gz,CHANGELOG.md.gz,copyright}

set(FORKSCOPE_APP_ID io.forkscope.Forkscope)
set(FORKSCOPE_RESOURCES ${PROJECT_SOURCE_DIR}/resources)

install(TARGETS forkscope-cli RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})

# The scenario library. The directory is installed even while it is empty, because the runner
# looks there (FORKSCOPE_SCENARIO_DIR) and a missing directory would be a different error.
install(DIRECTORY DESTINATION ${CMAKE_INSTALL_DATADIR}/forkscope/scenarios)
if(IS_DIRECTORY ${FORKSCOPE_RESOURCES}/scenarios)
  install(DIRECTORY ${FORKSCOPE_RESOURCES}/scenarios/
          DESTINATION ${CMAKE_INSTALL_DATADIR}/forkscope/scenarios
          FILES_MATCHING PATTERN "*.json")
endif()
install(FILES ${FORKSCOPE_RESOURCES}/scenario.schema.json DESTINATION ${CMAKE_INSTALL_DATADIR}/forkscope)

# Debian policy: man pages and the changelog are installed compressed (gzip -9n: no name or time
# stamp inside, so the package is reproducible). The copyright file goes next to the changelog.
find_program(FORKSCOPE_GZIP gzip REQUIRED)
set(FORKSCOPE_COMPRESSED_DIR ${CMAKE_BINARY_DIR}/packaging)
set(FORKSCOPE_COMPRESSED)
# The maintainer of the .deb (and of its Debian changelog entry): the project's commit identity
# unless a packager sets their own.
set(FORKSCOPE_MAINTAINER "Forkscope maintainers <maintainers@users.noreply.b-seed-c5567de6.example>"
    CACHE STRING "Maintainer of the .deb (Name <email>)")
# A native Debian package's changelog.gz must be in Debian's format; the project's own
# CHANGELOG.md ships next to it.
configure_file(${PROJECT_SOURCE_DIR}/packaging/debian-changelog.in ${CMAKE_BINARY_DIR}/packaging/debian-changelog @ONLY)
foreach(pair IN ITEMS "packaging/forkscope-cli.1;forkscope-cli.1" "CHANGELOG.md;CHANGELOG.md"
                      "${CMAKE_BINARY_DIR}/packaging/debian-changelog;changelog")
  list(GET pair 0 source)
  cmake_path(ABSOLUTE_PATH source BASE_DIRECTORY ${PROJECT_SOURCE_DIR})
  list(GET pair 1 name)
  add_custom_command(
    OUTPUT ${FORKSCOPE_COMPRESSED_DIR}/${name}.gz
    COMMAND ${CMAKE_COMMAND} -E copy ${source} ${FORKSCOPE_COMPRESSED_DIR}/${name}
    COMMAND ${FORKSCOPE_GZIP} -9nf ${FORKSCOPE_COMPRESSED_DIR}/${name}
    DEPENDS ${source}
    COMMENT "Compressing ${source}"
    VERBATIM)
  list(APPEND FORKSCOPE_COMPRESSED ${FORKSCOPE_COMPRESSED_DIR}/${name}.gz)
endforeach()
add_custom_target(forkscope_compressed_docs ALL DEPENDS ${FORKSCOPE_COMPRESSED})
install(FILES ${FORKSCOPE_COMPRESSED_DIR}/forkscope-cli.1.gz DESTINATION ${CMAKE_INSTALL_MANDIR}/man1)
install(FILES ${FORKSCOPE_COMPRESSED_DIR}/changelog.gz ${FORKSCOPE_COMPRESSED_DIR}/CHANGELOG.md.gz
              ${PROJECT_SOURCE_DIR}/packaging/copyright
        DESTINATION ${CMAKE_INSTALL_DATADIR}/doc/forkscope)

# Absolute, so the installed binaries find the library wherever their own file was copied; the
# .deb is configured with CMAKE_INSTALL_PREFIX=/usr (packaging/build-deb.sh), so it says
# /usr/share/forkscope/scenarios.
target_compile_definitions(forkscope_core
  PUBLIC FORKSCOPE_SCENARIO_DIR="${CMAKE_INSTALL_FULL_DATADIR}/forkscope/scenarios")

# The desktop entry, metainfo and icons describe the GUI: without it they would announce a program
# that is not there.
if(TARGET forkscope)
  install(TARGETS forkscope RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
  install(FILES ${FORKSCOPE_RESOURCES}/forkscope.desktop
          DESTINATION ${CMAKE_INSTALL_DATADIR}/applications
          RENAME ${FORKSCOPE_APP_ID}.desktop)
  install(FILES ${FORKSCOPE_RESOURCES}/${FORKSCOPE_APP_ID}.metainfo.xml
          DESTINATION ${CMAKE_INSTALL_DATADIR}/metainfo)
  install(FILES ${FORKSCOPE_RESOURCES}/icons/${FORKSCOPE_APP_ID}.svg
          DESTINATION ${CMAKE_INSTALL_DATADIR}/icons/hicolor/scalable/apps)
  foreach(size 48 128 256)
    install(FILES ${FORKSCOPE_RESOURCES}/icons/${FORKSCOPE_APP_ID}-${size}.png
            DESTINATION ${CMAKE_INSTALL_DATADIR}/icons/hicolor/${size}x${size}/apps
            RENAME ${FORKSCOPE_APP_ID}.png)
  endforeach()
endif()
