// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <optional>
#include <string>

namespace areatwin::indicators::heat {

// Inputs of the NREL Solar Position Algorithm (Reda & Andreas, NREL/TP-560-34302;
// ../shared/reference/heat-method.md section C.1). The clock time is local; utc_offset_h makes the
// time zone explicit (CEST = +2, the NREL example = -7).
struct SpaInput {
    int year = 2015;
    int month = 7;
    int day = 1;
    int hour = 12;
    int minute = 0;
    double second = 0.0;
    double utc_offset_h = 0.0;
    double delta_t_s = 68.0;         // TT - UT1; about 68 s around 2015 (heat-method.md C.4)
    double latitude_deg = 52.1;
    double longitude_deg = 5.18;     // east positive
    double elevation_m = 0.0;
    double pressure_hpa = 1010.0;    // annual mean, for refraction (UMEP uses 1010 hPa / 10 degC)
    double temperature_c = 10.0;
    double slope_deg = 0.0;          // surface tilt, for the incidence angle
    double azimuth_rotation_deg = 0.0;  // surface azimuth rotation from south, west positive
    double atmos_refract_deg = 0.5667;  // refraction at sunrise and sunset
};

struct SpaResult {
    double julian_day = 0.0;
    double zenith_deg = 0.0;                 // topocentric, refracted
    double azimuth_deg = 0.0;                // clockwise from north
    double elevation_deg = 0.0;              // topocentric, geometric (no refraction)
    double apparent_elevation_deg = 0.0;     // with refraction
    double incidence_deg = 0.0;              // on the surface given by slope and azimuth rotation
    double declination_deg = 0.0;            // topocentric
    double earth_sun_distance_au = 0.0;
};

SpaResult sun_position(const SpaInput& in);

// Julian day of a UTC calendar date and time (SPA eq. 4, Gregorian calendar).
double julian_day(int year, int month, int day, int hour, int minute, double second, double utc_offset_h);

// Sunrise and sunset in local hours of the given day (the clock time fields of `in` are ignored): the
// moments the geometric elevation of the sun's centre crosses -(0.26667 + atmos_refract_deg), found by
// bisection on the full SPA. NaN when the sun does not rise or set that day.
struct SunTimes {
    double sunrise_h = 0.0;
    double sunset_h = 0.0;
};
SunTimes sunrise_sunset(const SpaInput& in);

// A clock time with its explicit offset from UTC.
struct ClockTime {
    int year = 0, month = 0, day = 0;
    double hour = 0, minute = 0, second = 0, utc_offset_h = 0;
    [[nodiscard]] double julian_day_utc() const;  // SPA eq. 4 of the instant, so times in any zone compare
};
// YYYY-MM-DDTHH:MM[:SS[.fff]] followed by Z or +HH:MM / -HH:MM (ISO 8601 extended format). A time without a
// zone is refused (local time versus UTC must be explicit): nullopt, with the reason in *why when given.
std::optional<ClockTime> parse_iso8601(const std::string& text, std::string* why = nullptr);

}  // namespace areatwin::indicators::heat
