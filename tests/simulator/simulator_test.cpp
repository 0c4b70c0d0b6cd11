#include "beyondtrust_simulator/simulator.hpp"
