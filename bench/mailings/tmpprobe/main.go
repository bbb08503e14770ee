package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"sync"
	"time"

	"github.com/emersion/go-smtp"

	"plenary/internal/mail"
)

type sess struct{}

func (sess) Reset()                               {}
func (sess) Logout() error                        { return nil }
func (sess) Mail(string, *smtp.MailOptions) error { return nil }
func (sess) Rcpt(string, *smtp.RcptOptions) error { return nil }
func (sess) Data(r io.Reader) error               { _, err := io.Copy(io.Discard, r); return err }

func main() {
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	s := smtp.NewServer(smtp.BackendFunc(func(*smtp.Conn) (smtp.Session, error) { return sess{}, nil }))
	s.Domain = "x"
	go s.Serve(ln)
	snd, _ := mail.ParseURL("smtp://"+ln.Addr().String()+"?tls=none", "a@b.example")
	for _, w := range []int{1, 4, 8} {
		t := time.Now()
		var wg sync.WaitGroup
		for range w {
			wg.Go(func() {
				for i := 0; i < 300/w; i++ {
					if err := snd.Send(context.Background(), mail.Message{To: "x@y.example", Subject: "s", Body: "b"}); err != nil {
						panic(err)
					}
				}
			})
		}
		wg.Wait()
		fmt.Println(w, time.Since(t)/300)
	}
}
