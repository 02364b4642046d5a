#pragma once

#include <string>

namespace qeil::test {

// A small valid board that uses every group of the syntax: two CPU clusters and a GPU, two
// zones, an INA3221 with a sub-rail, a hwmon rail, GPIO lines, power modes and twin entries.
// Tests mutate it one setting at a time.
inline const char* miniBoard() {
  return R"(version = 1;
board = { name = "mini"; soc = "Mini SoC"; description = "a test board"; };
memory = { capacity_mb = 4096; reserved_mb = 512; bandwidth_gbs = 10.0; dram_pj_per_byte = 25; };
base_w = 1.5;
ambient_c = 30.0;
model = { rho_max = 0.9; kappa_m = 0.1; thermal_margin_k = 4.0; };
cgroup = { parent = "qeil-test"; };
thermal_zones = (
  { name = "cpu-thermal";
    r_th_k_per_w = 5.0;
    c_th_j_per_k = 8.0;
    trips = ( { type = "passive"; temp_c = 80.0; hyst_c = 2.0; },
              { type = "critical"; temp_c = 100.0; } );
    cooled_devices = [ "little", "big" ];
  },
  { name = "gpu-thermal";
    r_th_k_per_w = 6;
    c_th_j_per_k = 4;
    trips = ( { type = "critical"; temp_c = 105.0; } );
  }
);
devices = (
  { name = "little";
    kind = "cpu";
    cpus = "0-1";
    cpufreq_policy = "policy0";
    flops_per_cycle = { fp32 = 8.0; int8 = 32; };
    opp_mhz = [ 600, 1200 ];
    opp_mv = [ 700.0, 800.0 ];
    dynamic_power_coefficient = 100;
    leakage = { ref_w = 0.05; ref_mv = 800.0; ref_temp_c = 25.0; lambda_per_k = 0.03; };
    idle_w = 0.02;
    max_bandwidth_gbs = 4.0;
    thermal_zone = "cpu-thermal";
  },
  { name = "big";
    kind = "cpu";
    cpus = "2-3";
    cores = 2;
    flops_per_cycle = { fp32 = 16.0; fp16 = 32.0; };
    opp_mhz = [ 800.0, 1300.0, 1800.0 ];
    opp_mv = [ 700.0, 800.0, 900.0 ];
    dynamic_power_coefficient = 400;
    max_bandwidth_gbs = 8.0;
    thermal_zone = "cpu-thermal";
    eta = 0.6;
  },
  { name = "gpu";
    kind = "gpu";
    cores = 2;
    devfreq = "gpu0";
    flops_per_cycle = { fp32 = 64.0; fp16 = 128.0; };
    opp_mhz = [ 200, 400 ];
    opp_mv = [ 750.0, 750.0 ];
    dynamic_power_coefficient = 1000;
    max_bandwidth_gbs = 10.0;
    thermal_zone = "gpu-thermal";
    always_powered = false;
    launch_args = "--gpu";
    enable_gpio = "gpu_en";
  }
);
power_rails = (
  { name = "VIN";
    backend = "ina3221";
    i2c_bus = 1;
    address = 0x40;
    channel = 0;
    shunt_ohm = 0.01;
    max_current_a = 5.0;
    averages = 16;
    conv_us = 1100;
    bus_v = 5.0;
    feeds = [ "little", "big", "gpu" ];
    base_w = 1.50;
    carries_dram = true;
    alert_gpio = "ina_alert";
  },
  { name = "VDD_GPU";
    backend = "ina3221";
    i2c_bus = 1;
    address = 0x40;
    channel = 1;
    shunt_ohm = 0.02;
    max_current_a = 3.0;
    averages = 16;
    conv_us = 1100;
    feeds = [ "gpu" ];
    parent = "VIN";
  },
  { name = "VDD_CPU";
    backend = "hwmon";
    hwmon_chip = "ina3221";
    hwmon_label = "VDD_CPU";
    feeds = [ "little", "big" ];
    parent = "VIN";
  }
);
gpios = (
  { name = "ina_alert"; chip = "gpiochip1"; line = 5; direction = "input"; active_low = true; },
  { name = "gpu_en"; chip = "gpiochip0"; line = 12; direction = "output"; initial = 1; }
);
power_modes = (
  { name = "LOW";
    budget_w = 5.0;
    caps = ( { device = "big"; max_mhz = 1300; online_cores = 1; },
             { device = "gpu"; max_mhz = 200; } );
  },
  { name = "MAX"; }
);
power_mode = "LOW";
twin = {
  seed = 7;
  dram_bandwidth_gbs = 9.0;
  ambient_drift_c = 0.5;
  ambient_period_s = 600.0;
  ina_shunt_noise_uv = 2.0;
  ina_bus_noise_mv = 1.0;
  vrm_efficiency = 0.85;
  barrier_us = 30.0;
  devices = ( { device = "big";
                dynamic_power_coefficient = 450;
                leak_i0_a = 20.0;
                leak_vth_v = 0.35;
                leak_n = 1.4;
                leak_vth_temp_coeff_v_per_k = 0.0008;
                idle_w = 0.03;
                compute_efficiency = 0.65;
                memory_efficiency = 0.75;
                dvfs_latency_us = 300; } );
  zones = ( { zone = "gpu-thermal";
              die_r_k_per_w = 1.0;
              die_c_j_per_k = 0.5;
              sink_r_k_per_w = 5.0;
              sink_c_j_per_k = 6.0;
              sensor_noise_c = 0.2; } );
};
)";
}

}  // namespace qeil::test
