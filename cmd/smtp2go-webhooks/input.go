package main

import (
	"bytes"
	"errors"
	"io"
	"os"
)

// secretValue reads a secret from a file or an environment variable: never
// from a flag's value, which the process list shows.
func secretValue(e *env, file, envName string) (value string, ok bool, err error) {
	switch {
	case file != "":
		b, err := os.ReadFile(file)
		if err != nil {
			return "", false, usagef("reading the secret file: %v", err)
		}
		return string(bytes.TrimRight(b, "\r\n")), true, nil
	case envName != "":
		v := e.getenv(envName)
		if v == "" {
			return "", false, usagef("environment variable %s is empty or not set", envName)
		}
		return v, true, nil
	}
	return "", false, nil
}

// readInput reads the file a flag names, or stdin for "-": at most 1 MiB,
// the API's own limit on a request body.
func readInput(e *env, flagName, path string) ([]byte, error) {
	r := e.stdin
	if path != "-" {
		f, err := os.Open(path)
		if err != nil {
			return nil, usagef("%s: %v", flagName, err)
		}
		defer f.Close()
		r = f
	}
	data, err := io.ReadAll(io.LimitReader(r, 1<<20+1))
	if err == nil && len(data) > 1<<20 {
		err = errors.New("larger than 1 MiB")
	}
	if err != nil {
		return nil, usagef("%s %s: %v", flagName, path, err)
	}
	return data, nil
}
