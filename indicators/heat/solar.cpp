// SPDX-License-Identifier: GPL-3.0-or-later
// NREL Solar Position Algorithm (Reda & Andreas 2004, revised 2008, NREL/TP-560-34302), steps as
// listed in ../shared/reference/heat-method.md section C.1; equation numbers are those of the report.
#include "heat/solar.hpp"

#include <array>
#include <cmath>
#include <cstdio>
#include <cstdlib>

namespace areatwin::indicators::heat {

namespace {

struct EarthTerm {
    int series;
    double a, b, c;
};
constexpr EarthTerm kEarthTerms[] = {
#include "heat/data/spa_earth_periodic_terms.inc"
};

struct NutationTerm {
    double y0, y1, y2, y3, y4, a, b, c, d;
};
constexpr NutationTerm kNutationTerms[] = {
#include "heat/data/spa_nutation_terms.inc"
};

constexpr double kPi = 3.14159265358979323846;
double rad(double deg) { return deg * kPi / 180.0; }
double deg(double r) { return r * 180.0 / kPi; }

double limit_degrees(double d) {
    d = std::fmod(d, 360.0);
    return d < 0.0 ? d + 360.0 : d;
}

// Sum of the series of one quantity (L: 0..5, B: 6..7, R: 8..12) as a polynomial in JME (eqs. 9-11).
double earth_value(int first_series, int series_count, double jme) {
    std::array<double, 6> sums{};
    for (const auto& t : kEarthTerms) {
        const int s = t.series - first_series;
        if (s < 0 || s >= series_count) continue;
        sums[static_cast<std::size_t>(s)] += t.a * std::cos(t.b + t.c * jme);
    }
    double value = 0.0;
    double power = 1.0;
    for (int i = 0; i < series_count; ++i) {
        value += sums[static_cast<std::size_t>(i)] * power;
        power *= jme;
    }
    return value / 1e8;
}

double third_order(double a, double b, double c, double d, double x) { return ((d * x + c) * x + b) * x + a; }

}  // namespace

double julian_day(int year, int month, int day, int hour, int minute, double second, double utc_offset_h) {
    const double day_decimal =
        day + (hour - utc_offset_h + (minute + second / 60.0) / 60.0) / 24.0;
    if (month < 3) {
        month += 12;
        year--;
    }
    double jd = std::floor(365.25 * (year + 4716.0)) + std::floor(30.6001 * (month + 1)) + day_decimal - 1524.5;
    if (jd > 2299160.0) {
        const double a = std::floor(year / 100.0);
        jd += 2.0 - a + std::floor(a / 4.0);
    }
    return jd;
}

SpaResult sun_position(const SpaInput& in) {
    SpaResult out;
    const double jd = julian_day(in.year, in.month, in.day, in.hour, in.minute, in.second, in.utc_offset_h);
    const double jc = (jd - 2451545.0) / 36525.0;
    const double jde = jd + in.delta_t_s / 86400.0;
    const double jce = (jde - 2451545.0) / 36525.0;
    const double jme = jce / 10.0;
    out.julian_day = jd;

    // Earth heliocentric longitude, latitude and radius vector (eqs. 9-14).
    const double l_deg = limit_degrees(deg(earth_value(0, 6, jme)));
    const double b_deg = deg(earth_value(6, 2, jme));
    const double r_au = earth_value(8, 5, jme);
    out.earth_sun_distance_au = r_au;

    // Geocentric longitude and latitude (eqs. 13-14).
    const double theta = limit_degrees(l_deg + 180.0);
    const double beta = -b_deg;

    // Nutation (eqs. 15-23).
    const double x0 = third_order(297.85036, 445267.111480, -0.0019142, 1.0 / 189474.0, jce);
    const double x1 = third_order(357.52772, 35999.050340, -0.0001603, -1.0 / 300000.0, jce);
    const double x2 = third_order(134.96298, 477198.867398, 0.0086972, 1.0 / 56250.0, jce);
    const double x3 = third_order(93.27191, 483202.017538, -0.0036825, 1.0 / 327270.0, jce);
    const double x4 = third_order(125.04452, -1934.136261, 0.0020708, 1.0 / 450000.0, jce);
    double sum_psi = 0.0;
    double sum_eps = 0.0;
    for (const auto& t : kNutationTerms) {
        const double arg = rad(x0 * t.y0 + x1 * t.y1 + x2 * t.y2 + x3 * t.y3 + x4 * t.y4);
        sum_psi += (t.a + t.b * jce) * std::sin(arg);
        sum_eps += (t.c + t.d * jce) * std::cos(arg);
    }
    const double delta_psi = sum_psi / 36000000.0;
    const double delta_eps = sum_eps / 36000000.0;

    // True obliquity of the ecliptic (eqs. 24-25).
    const double u = jme / 10.0;
    const double eps0 =
        84381.448 +
        u * (-4680.93 + u * (-1.55 + u * (1999.25 + u * (-51.38 + u * (-249.67 + u * (-39.05 + u * (7.12 + u * (27.87 + u * (5.79 + u * 2.45)))))))));
    const double eps = eps0 / 3600.0 + delta_eps;

    // Aberration and apparent sun longitude (eqs. 26-27).
    const double delta_tau = -20.4898 / (3600.0 * r_au);
    const double lambda = theta + delta_psi + delta_tau;

    // Apparent sidereal time at Greenwich (eqs. 28-29).
    const double nu0 = limit_degrees(280.46061837 + 360.98564736629 * (jd - 2451545.0) + 0.000387933 * jc * jc -
                                     jc * jc * jc / 38710000.0);
    const double nu = nu0 + delta_psi * std::cos(rad(eps));

    // Geocentric right ascension and declination (eqs. 30-31).
    const double lambda_r = rad(lambda);
    const double eps_r = rad(eps);
    const double beta_r = rad(beta);
    const double alpha = limit_degrees(
        deg(std::atan2(std::sin(lambda_r) * std::cos(eps_r) - std::tan(beta_r) * std::sin(eps_r), std::cos(lambda_r))));
    const double delta = deg(std::asin(std::sin(beta_r) * std::cos(eps_r) +
                                       std::cos(beta_r) * std::sin(eps_r) * std::sin(lambda_r)));

    // Local hour angle (eq. 32).
    const double h = limit_degrees(nu + in.longitude_deg - alpha);

    // Topocentric parallax (eqs. 33-38).
    const double xi = rad(8.794 / (3600.0 * r_au));
    const double phi = rad(in.latitude_deg);
    const double uu = std::atan(0.99664719 * std::tan(phi));
    const double x = std::cos(uu) + in.elevation_m / 6378140.0 * std::cos(phi);
    const double y = 0.99664719 * std::sin(uu) + in.elevation_m / 6378140.0 * std::sin(phi);
    const double h_r = rad(h);
    const double delta_r = rad(delta);
    const double delta_alpha =
        std::atan2(-x * std::sin(xi) * std::sin(h_r), std::cos(delta_r) - x * std::sin(xi) * std::cos(h_r));
    const double delta_prime = std::atan2((std::sin(delta_r) - y * std::sin(xi)) * std::cos(delta_alpha),
                                          std::cos(delta_r) - x * std::sin(xi) * std::cos(h_r));
    const double h_prime = h_r - delta_alpha;
    out.declination_deg = deg(delta_prime);

    // Topocentric elevation with and without refraction (eqs. 41-44).
    const double e0 = deg(std::asin(std::sin(phi) * std::sin(delta_prime) +
                                    std::cos(phi) * std::cos(delta_prime) * std::cos(h_prime)));
    double delta_e = 0.0;
    if (e0 >= -1.0 * (0.26667 + in.atmos_refract_deg)) {
        delta_e = (in.pressure_hpa / 1010.0) * (283.0 / (273.0 + in.temperature_c)) * 1.02 /
                  (60.0 * std::tan(rad(e0 + 10.3 / (e0 + 5.11))));
    }
    const double e = e0 + delta_e;
    out.elevation_deg = e0;
    out.apparent_elevation_deg = e;
    out.zenith_deg = 90.0 - e;

    // Topocentric azimuth (eqs. 45-46): astronomers' azimuth westward from south, then from north.
    const double gamma = limit_degrees(deg(std::atan2(
        std::sin(h_prime), std::cos(h_prime) * std::sin(phi) - std::tan(delta_prime) * std::cos(phi))));
    out.azimuth_deg = limit_degrees(gamma + 180.0);

    // Incidence angle on a tilted surface (eq. 47).
    const double zen = rad(out.zenith_deg);
    const double slope = rad(in.slope_deg);
    out.incidence_deg = deg(std::acos(std::cos(zen) * std::cos(slope) +
                                      std::sin(slope) * std::sin(zen) * std::cos(rad(gamma - in.azimuth_rotation_deg))));
    return out;
}

SunTimes sunrise_sunset(const SpaInput& in) {
    const double target = -(0.26667 + in.atmos_refract_deg);
    auto elevation_at = [&](double local_h) {
        SpaInput s = in;
        s.hour = 0;
        s.minute = 0;
        s.second = local_h * 3600.0;
        return sun_position(s).elevation_deg - target;
    };
    auto crossing = [&](double a, double b) {
        double fa = elevation_at(a);
        for (int i = 0; i < 40; ++i) {
            const double m = 0.5 * (a + b);
            const double fm = elevation_at(m);
            if ((fm > 0.0) == (fa > 0.0)) {
                a = m;
                fa = fm;
            } else {
                b = m;
            }
        }
        return 0.5 * (a + b);
    };
    // Bracket on a 10-minute scan from solar noon: noon is near 12 - longitude/15 + offset.
    SunTimes t{std::nan(""), std::nan("")};
    double noon = 12.0 - in.longitude_deg / 15.0 + in.utc_offset_h;
    double best = elevation_at(noon);
    for (double dh = -2.0; dh <= 2.0; dh += 1.0 / 6.0) {
        const double v = elevation_at(noon + dh);
        if (v > best) {
            best = v;
            noon += dh;
            dh = -2.0;
        }
    }
    if (best <= 0.0) return t;
    double prev = noon;
    for (double h = noon - 1.0 / 6.0; h >= noon - 12.0; h -= 1.0 / 6.0) {
        if (elevation_at(h) <= 0.0) {
            t.sunrise_h = crossing(h, prev);
            break;
        }
        prev = h;
    }
    prev = noon;
    for (double h = noon + 1.0 / 6.0; h <= noon + 12.0; h += 1.0 / 6.0) {
        if (elevation_at(h) <= 0.0) {
            t.sunset_h = crossing(prev, h);
            break;
        }
        prev = h;
    }
    return t;
}

double ClockTime::julian_day_utc() const {
    return julian_day(year, month, day, static_cast<int>(hour), static_cast<int>(minute), second, utc_offset_h);
}

std::optional<ClockTime> parse_iso8601(const std::string& text, std::string* why) {
    const auto fail = [&](const char* reason) -> std::optional<ClockTime> {
        if (why) *why = reason;
        return std::nullopt;
    };
    ClockTime t;
    int hour = 0, minute = 0, consumed = 0;
    if (std::sscanf(text.c_str(), "%4d-%2d-%2dT%2d:%2d%n", &t.year, &t.month, &t.day, &hour, &minute, &consumed) != 5) {
        return fail("is not an ISO 8601 time such as 2019-07-25T12:00:00Z");
    }
    if (t.month < 1 || t.month > 12 || t.day < 1 || t.day > 31 || hour < 0 || hour > 24 || minute < 0 || minute > 59) {
        return fail("has a month, day, hour or minute out of range");
    }
    t.hour = hour;
    t.minute = minute;
    std::string rest = text.substr(static_cast<std::size_t>(consumed));
    if (!rest.empty() && rest[0] == ':') {
        char* end = nullptr;
        t.second = std::strtod(rest.c_str() + 1, &end);
        rest = end;
    }
    if (rest == "Z" || rest == "z") return t;
    int oh = 0, om = 0;
    char sign = 0;
    if (std::sscanf(rest.c_str(), "%c%2d:%2d", &sign, &oh, &om) == 3 && (sign == '+' || sign == '-') && rest.size() == 6) {
        t.utc_offset_h = (sign == '-' ? -1.0 : 1.0) * (oh + om / 60.0);
        return t;
    }
    return fail("needs a time zone: Z or an offset such as +02:00");
}

}  // namespace areatwin::indicators::heat
