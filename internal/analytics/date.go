package analytics

import (
	"fmt"
	"time"
)

// Date is a calendar day packed as yyyymmdd. It is the day as written in the
// log line, in the server's own time zone, which is how people reading a
// server's logs think of "a day" (and what GoAccess does); converting to UTC
// would split a site's evening traffic across two days.
type Date uint32

// MakeDate packs a year, month and day.
func MakeDate(y, m, d int) Date { return Date(y*10000 + m*100 + d) }

// Year, Month and Day unpack the date.
func (d Date) Year() int  { return int(d) / 10000 }
func (d Date) Month() int { return int(d) / 100 % 100 }
func (d Date) Day() int   { return int(d) % 100 }

// String formats the date as YYYY-MM-DD.
func (d Date) String() string {
	return fmt.Sprintf("%04d-%02d-%02d", d.Year(), d.Month(), d.Day())
}

// Time is midnight UTC of the date, for arithmetic on days.
func (d Date) Time() time.Time {
	return time.Date(d.Year(), time.Month(d.Month()), d.Day(), 0, 0, 0, 0, time.UTC)
}

// ParseDate reads YYYY-MM-DD.
func ParseDate(s string) (Date, error) {
	t, err := time.Parse("2006-01-02", s)
	if err != nil {
		return 0, fmt.Errorf("date %q is not YYYY-MM-DD", s)
	}
	return MakeDate(t.Year(), int(t.Month()), t.Day()), nil
}

// validDay reports whether y-m-d exists in the calendar.
func validDay(y, m, d int) bool {
	if m < 1 || m > 12 || d < 1 {
		return false
	}
	days := [13]int{0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31}[m]
	if m == 2 && (y%4 == 0 && (y%100 != 0 || y%400 == 0)) {
		days = 29
	}
	return d <= days
}
