package payments

import (
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
)

// Amounts are kept in a currency's minor unit, as ISO 4217 defines it:
// cents for USD and EUR, yen for JPY (which has none), fils for BHD
// (three decimals). minorUnits is the one list of the currencies a
// ticket may be priced in, each with its number of decimals: ISO 4217's
// active currencies (List One, 2025), without its fund codes (BOV, CHE,
// CHW, CLF, COU, MXV, USN, UYI, UYW), precious metals and the like, which
// nobody pays a registration in. Read only.
var minorUnits = map[string]int{
	"AED": 2, "AFN": 2, "ALL": 2, "AMD": 2, "ANG": 2, "AOA": 2, "ARS": 2, "AUD": 2, "AWG": 2, "AZN": 2,
	"BAM": 2, "BBD": 2, "BDT": 2, "BGN": 2, "BHD": 3, "BIF": 0, "BMD": 2, "BND": 2, "BOB": 2, "BRL": 2,
	"BSD": 2, "BTN": 2, "BWP": 2, "BYN": 2, "BZD": 2, "CAD": 2, "CDF": 2, "CHF": 2, "CLP": 0, "CNY": 2,
	"COP": 2, "CRC": 2, "CUP": 2, "CVE": 2, "CZK": 2, "DJF": 0, "DKK": 2, "DOP": 2, "DZD": 2, "EGP": 2,
	"ERN": 2, "ETB": 2, "EUR": 2, "FJD": 2, "FKP": 2, "GBP": 2, "GEL": 2, "GHS": 2, "GIP": 2, "GMD": 2,
	"GNF": 0, "GTQ": 2, "GYD": 2, "HKD": 2, "HNL": 2, "HTG": 2, "HUF": 2, "IDR": 2, "ILS": 2, "INR": 2,
	"IQD": 3, "IRR": 2, "ISK": 0, "JMD": 2, "JOD": 3, "JPY": 0, "KES": 2, "KGS": 2, "KHR": 2, "KMF": 0,
	"KPW": 2, "KRW": 0, "KWD": 3, "KYD": 2, "KZT": 2, "LAK": 2, "LBP": 2, "LKR": 2, "LRD": 2, "LSL": 2,
	"LYD": 3, "MAD": 2, "MDL": 2, "MGA": 2, "MKD": 2, "MMK": 2, "MNT": 2, "MOP": 2, "MRU": 2, "MUR": 2,
	"MVR": 2, "MWK": 2, "MXN": 2, "MYR": 2, "MZN": 2, "NAD": 2, "NGN": 2, "NIO": 2, "NOK": 2, "NPR": 2,
	"NZD": 2, "OMR": 3, "PAB": 2, "PEN": 2, "PGK": 2, "PHP": 2, "PKR": 2, "PLN": 2, "PYG": 0, "QAR": 2,
	"RON": 2, "RSD": 2, "RUB": 2, "RWF": 0, "SAR": 2, "SBD": 2, "SCR": 2, "SDG": 2, "SEK": 2, "SGD": 2,
	"SHP": 2, "SLE": 2, "SOS": 2, "SRD": 2, "SSP": 2, "STN": 2, "SVC": 2, "SYP": 2, "SZL": 2, "THB": 2,
	"TJS": 2, "TMT": 2, "TND": 3, "TOP": 2, "TRY": 2, "TTD": 2, "TWD": 2, "TZS": 2, "UAH": 2, "UGX": 0,
	"USD": 2, "UYU": 2, "UZS": 2, "VED": 2, "VES": 2, "VND": 0, "VUV": 0, "WST": 2, "XAF": 0, "XCD": 2,
	"XCG": 2, "XOF": 0, "XPF": 0, "YER": 2, "ZAR": 2, "ZMW": 2, "ZWG": 2,
}

// MinorUnits returns how many decimals the currency code has, and whether
// it is one a ticket may be priced in.
func MinorUnits(code string) (int, bool) {
	n, ok := minorUnits[code]
	return n, ok
}

// Currencies lists the codes a ticket may be priced in, sorted.
func Currencies() []string { return slices.Sorted(maps.Keys(minorUnits)) }

// CleanCurrency returns code in upper case if a ticket may be priced in
// it; otherwise an error that names the codes accepted.
func CleanCurrency(code string) (string, error) {
	c := strings.ToUpper(strings.TrimSpace(code))
	if _, ok := minorUnits[c]; !ok {
		return "", fmt.Errorf("the currency %q is not an ISO 4217 code this site knows; use one of %s", strings.TrimSpace(code), strings.Join(Currencies(), ", "))
	}
	return c, nil
}

// FormatAmount writes amount, in minor units of currency, as a number
// with the currency's decimals: 45000 EUR is "450.00", 20000 JPY "20000",
// 1250 BHD "1.250". A code not in the list is written with two decimals.
func FormatAmount(amount int64, currency string) string {
	n, ok := minorUnits[currency]
	if !ok {
		n = 2
	}
	sign := ""
	if amount < 0 {
		sign, amount = "-", -amount
	}
	if n == 0 {
		return sign + strconv.FormatInt(amount, 10)
	}
	unit := pow10(n)
	return fmt.Sprintf("%s%d.%0*d", sign, amount/unit, n, amount%unit)
}

// maxWhole bounds a parsed amount's whole units, so that no amount in
// minor units overflows.
const maxWhole = 1_000_000_000_000

// ParseAmount reads an amount typed in whole units of currency, with at
// most the currency's decimals ("350", "350.5", "350.50" in EUR; "20000"
// in JPY; "1.250" in BHD), and returns it in minor units.
func ParseAmount(s, currency string) (int64, error) {
	n, ok := minorUnits[currency]
	if !ok {
		_, err := CleanCurrency(currency)
		return 0, err
	}
	s = strings.TrimSpace(s)
	whole, frac, dot := strings.Cut(s, ".")
	switch {
	case dot && n == 0:
		return 0, fmt.Errorf("%s has no smaller unit: write the amount in whole %s, such as 20000", currency, currency)
	case len(frac) > n:
		return 0, fmt.Errorf("an amount in %s has at most %d decimals", currency, n)
	case dot && frac == "":
		return 0, fmt.Errorf("write the amount with its decimals after the point, such as %s", FormatAmount(35000*pow10(n)/100, currency))
	}
	w, err := strconv.ParseInt(whole, 10, 64)
	if err != nil || w < 0 || w > maxWhole || strings.TrimLeft(whole, "0123456789") != "" {
		return 0, fmt.Errorf("write the amount as a number, such as %s (0 when free)", FormatAmount(35000*pow10(n)/100, currency))
	}
	var f int64
	if frac != "" {
		if f, err = strconv.ParseInt(frac+strings.Repeat("0", n-len(frac)), 10, 64); err != nil || strings.TrimLeft(frac, "0123456789") != "" {
			return 0, fmt.Errorf("write the amount as a number, such as %s (0 when free)", FormatAmount(35000*pow10(n)/100, currency))
		}
	}
	return w*pow10(n) + f, nil
}

func pow10(n int) int64 {
	p := int64(1)
	for range n {
		p *= 10
	}
	return p
}
