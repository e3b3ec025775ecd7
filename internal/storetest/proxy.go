package storetest

import (
	"net"
	"sync"
	"testing"
)

// Proxy forwards TCP connections to a store's server, and can cut the store
// off or stall it without touching the server, which other tests share.
type Proxy struct {
	target string
	ln     net.Listener
	wg     sync.WaitGroup

	mu     sync.Mutex
	cut    bool
	resume chan struct{} // closed unless stalled
	conns  map[net.Conn]struct{}
}

// NewProxy listens on a free loopback port and forwards every connection to
// target (host:port). It closes, with every connection, when t ends.
func NewProxy(t testing.TB, target string) *Proxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &Proxy{target: target, ln: ln, resume: make(chan struct{}), conns: map[net.Conn]struct{}{}}
	close(p.resume)
	p.wg.Add(1)
	go p.accept()
	t.Cleanup(p.close)
	return p
}

// Addr is the address clients dial instead of the server's.
func (p *Proxy) Addr() string { return p.ln.Addr().String() }

// Cut closes every connection and closes new ones as soon as they are
// accepted, as a server that went away, until Restore.
func (p *Proxy) Cut() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.cut = true
	p.closeConns()
}

// Stall accepts connections and holds every byte in either direction, as a
// server that hangs or a network that drops packets, until Restore.
func (p *Proxy) Stall() {
	p.mu.Lock()
	defer p.mu.Unlock()
	select {
	case <-p.resume:
		p.resume = make(chan struct{})
	default: // already stalled
	}
}

// Restore ends a Cut or a Stall: new connections reach the server again, and
// bytes held by a stall flow on.
func (p *Proxy) Restore() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.cut = false
	select {
	case <-p.resume:
	default:
		close(p.resume)
	}
}

func (p *Proxy) close() {
	p.ln.Close()
	p.Cut()
	p.Restore() // lets held pipes see their closed connections
	p.wg.Wait()
}

func (p *Proxy) accept() {
	defer p.wg.Done()
	for {
		client, err := p.ln.Accept()
		if err != nil {
			return
		}
		if !p.track(client) {
			client.Close()
			continue
		}
		p.wg.Add(1)
		go p.forward(client)
	}
}

// forward connects client to the server and copies both ways until either
// side closes.
func (p *Proxy) forward(client net.Conn) {
	defer p.wg.Done()
	defer p.untrack(client)
	server, err := net.Dial("tcp", p.target)
	if err != nil {
		return
	}
	defer p.untrack(server)
	if !p.track(server) {
		return
	}
	done := make(chan struct{})
	go func() {
		p.pipe(server, client)
		close(done)
	}()
	p.pipe(client, server)
	<-done
}

// pipe copies src to dst, holding each chunk while the proxy is stalled, and
// closes both when either fails.
func (p *Proxy) pipe(dst, src net.Conn) {
	defer dst.Close()
	defer src.Close()
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		if n > 0 {
			p.mu.Lock()
			resume := p.resume
			p.mu.Unlock()
			<-resume
			if _, werr := dst.Write(buf[:n]); werr != nil {
				return
			}
		}
		if err != nil {
			return
		}
	}
}

// track records c so that Cut can close it, or reports false if the proxy
// is cut.
func (p *Proxy) track(c net.Conn) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cut {
		return false
	}
	p.conns[c] = struct{}{}
	return true
}

func (p *Proxy) untrack(c net.Conn) {
	c.Close()
	p.mu.Lock()
	defer p.mu.Unlock()
	delete(p.conns, c)
}

func (p *Proxy) closeConns() {
	for c := range p.conns {
		c.Close()
		delete(p.conns, c)
	}
}
