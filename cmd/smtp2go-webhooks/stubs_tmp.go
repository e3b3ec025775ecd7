package main

import "context"

func cmdListen(ctx context.Context, e *env, args []string) error   { return nil }
func cmdSendTest(ctx context.Context, e *env, args []string) error { return nil }
func cmdDemo(ctx context.Context, e *env, args []string) error     { return nil }
