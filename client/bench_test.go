package client

import (
	"bytes"
	"fmt"
	"testing"
)

// bigDetailedReport builds a detailed report of n rows, each with two time entries.
func bigDetailedReport(n int) []byte {
	var b bytes.Buffer
	b.WriteString(`{"report_name":"big","report_type":"detailed","dictionaries":{"projects":{`)
	for p := 1; p <= 50; p++ {
		if p > 1 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `"%d":{"id":%d,"name":"Project %d","client_id":%d,"estimated_seconds":36000}`, p, p, p, p%5+1)
	}
	b.WriteString(`}},"detailed_results":{"report":[`)
	for i := 0; i < n; i++ {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `{"user_id":%d,"username":"User %d","project_id":%d,"task_id":null,"description":"Work item %d",`+
			`"billable":true,"billable_amount_in_cents":1500,"hourly_rate_in_cents":9000,"currency":"EUR","tag_ids":[1,2],"row_number":%d,`+
			`"time_entries":[{"id":%d,"seconds":3600,"start":"2025-06-02T09:00:00Z","stop":"2025-06-02T10:00:00Z","at":"2025-06-02T10:00:00Z"},`+
			`{"id":%d,"seconds":600,"start":"2025-06-02T11:00:00Z","stop":"2025-06-02T11:10:00Z","at":"2025-06-02T11:10:00Z"}]}`,
			i%20+1, i%20+1, i%50+1, i, i+1, 2*i, 2*i+1)
	}
	b.WriteString(`],"totals":{"seconds":1,"tracked_days":1,"rates":[{"billable_seconds":1,"currency":"EUR","hourly_rate_in_cents":9000}]}}}`)
	return b.Bytes()
}

func BenchmarkDecodeDetailed(b *testing.B) {
	body := bigDetailedReport(10000)
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Decode(bytes.NewReader(body), nil); err != nil {
			b.Fatal(err)
		}
	}
}
