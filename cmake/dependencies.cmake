# Every dependency comes from a Debian 12 package; scripts/install-deps.sh
# installs them.
find_package(Boost 1.81.0 EXACT CONFIG REQUIRED COMPONENTS json url)
find_package(OpenSSL 3 REQUIRED)
find_package(ZLIB REQUIRED)
find_package(prometheus-cpp CONFIG REQUIRED COMPONENTS core)
find_package(pugixml REQUIRED)
find_package(yaml-cpp REQUIRED)
find_package(spdlog REQUIRED)
find_package(CLI11 REQUIRED)
find_library(CRYPT_LIBRARY NAMES crypt REQUIRED)
find_package(Threads REQUIRED)
