# Install layout (GNUInstallDirs), included from the top CMakeLists.txt after app/ so that every
# target already exists. The .deb (packaging/cpack.cmake) is this tree under /usr.
#
#   bin/forkscope-cli, bin/forkscope (the GUI, when it is built)
#   share/forkscope/scenarios/*.json, share/forkscope/scenario.schema.json
#   share/applications/io.forkscope.Forkscope.desktop, share/metainfo/io.forkscope.Forkscope.metainfo.xml
#   share/icons/hicolor/{scalable,48x48,128x128,256x256}/apps/io.forkscope.Forkscope.{svg,png}
#   share/man/man1/forkscope-cli.1

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

install(FILES ${PROJECT_SOURCE_DIR}/packaging/forkscope-cli.1 DESTINATION ${CMAKE_INSTALL_MANDIR}/man1)

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
