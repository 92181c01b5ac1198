# CPack: `cpack -G DEB` in a build configured by packaging/build-deb.sh (prefix /usr) makes
# forkscope_<version>_<arch>.deb from the install rules in packaging/install.cmake.

set(CPACK_PACKAGE_NAME forkscope)
set(CPACK_PACKAGE_VENDOR "Forkscope")
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "See how Python-style multiprocessing behaves, with real processes")
# Lines of at most 80 characters (Debian policy; lintian checks it).
set(CPACK_PACKAGE_DESCRIPTION
    "Forkscope reproduces Python's multiprocessing (Process, Queue, Pipe, Lock,\n\
Pool, Manager, shared memory) with real processes under the fork, spawn and\n\
forkserver start methods, records what every process does and shows it.\n\
Its scenario library turns each of Python's programming guidelines into a\n\
run that deadlocks, leaks or races, next to its fixed variant.\n\
forkscope-cli runs, records, replays and measures scenarios without a display.")
# FORKSCOPE_MAINTAINER: packaging/install.cmake.
set(CPACK_PACKAGE_CONTACT ${FORKSCOPE_MAINTAINER})
# The prefix the binaries were compiled for (FORKSCOPE_SCENARIO_DIR is absolute): /usr for the .deb.
set(CPACK_PACKAGING_INSTALL_PREFIX ${CMAKE_INSTALL_PREFIX})
set(CPACK_STRIP_FILES ON)

set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_MAINTAINER ${CPACK_PACKAGE_CONTACT})
set(CPACK_DEBIAN_PACKAGE_SECTION devel)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
# dpkg-shlibdeps reads the binaries' NEEDED entries: libc6, libstdc++6, libssl3, libsqlite3-0,
# libxxhash0 and, with the GUI, libqt6core6/gui6/widgets6 and libqcustomplot2.1-qt6.
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
# (Qt's xcb platform plugin, loaded at run time, ships in libqt6gui6 on Debian 12: no extra entry.)
set(CPACK_DEBIAN_PACKAGE_GENERATE_SHLIBS OFF)

set(CPACK_GENERATOR DEB)
set(CPACK_SOURCE_GENERATOR TGZ)
set(CPACK_SOURCE_IGNORE_FILES "/build/" "/\\\\.git/" "/\\\\.cache/")

include(CPack)
