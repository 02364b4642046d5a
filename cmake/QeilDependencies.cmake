# Every external dependency of qeil, found once, as imported targets.
find_package(PkgConfig REQUIRED)

pkg_check_modules(GPIOD REQUIRED IMPORTED_TARGET libgpiod)
if(GPIOD_VERSION VERSION_GREATER_EQUAL 2)
  message(FATAL_ERROR
    "libgpiod ${GPIOD_VERSION} found: qeil uses the libgpiod v1 API (Debian 12 ships 1.6). "
    "Install libgpiod 1.x (libgpiod-dev 1.6) or port hal/linux/gpiod_line.cpp to the v2 API.")
endif()

pkg_check_modules(LIBEVENT REQUIRED IMPORTED_TARGET libevent)
pkg_check_modules(LIBCONFIG REQUIRED IMPORTED_TARGET libconfig++)
pkg_check_modules(ZLIB REQUIRED IMPORTED_TARGET zlib)

# libi2c-dev ships neither a .pc file nor a CMake package.
find_path(I2C_INCLUDE_DIR i2c/smbus.h)
find_library(I2C_LIBRARY NAMES i2c)
if(NOT I2C_INCLUDE_DIR OR NOT I2C_LIBRARY)
  message(FATAL_ERROR "libi2c not found (i2c/smbus.h and libi2c): apt-get install libi2c-dev")
endif()
add_library(i2c::i2c UNKNOWN IMPORTED)
set_target_properties(i2c::i2c PROPERTIES
  IMPORTED_LOCATION "${I2C_LIBRARY}" INTERFACE_INCLUDE_DIRECTORIES "${I2C_INCLUDE_DIR}")

if(BUILD_TESTING)
  find_package(GTest REQUIRED)
endif()
if(QEIL_BENCH)
  find_package(benchmark REQUIRED)
endif()
