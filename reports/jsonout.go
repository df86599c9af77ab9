package reports

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"

	"github.com/faultline-sim/faultline/results"
)

// writeJSON writes the whole report as indented JSON (map keys sorted, as
// encoding/json does).
func writeJSON(dir string, r *results.Report) error {
	b, err := marshalReport(r)
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, "summary.json"), b, 0o644)
}

// marshalReport is json.MarshalIndent of r. encoding/json refuses NaN and
// infinities, which a report may hold (a verdict that could not be judged,
// a model metric that divided by zero); such a report is written with null
// in their place, rather than not at all.
func marshalReport(r *results.Report) ([]byte, error) {
	b, err := json.MarshalIndent(r, "", "  ")
	var unsupported *json.UnsupportedValueError
	if errors.As(err, &unsupported) {
		b, err = json.MarshalIndent(nullNonFinite(reflect.ValueOf(r)), "", "  ")
	}
	if err != nil {
		return nil, err
	}
	return append(b, '\n'), nil
}

// object is a JSON object whose members keep their order.
type object []member

type member struct {
	key   string
	value any
}

// MarshalJSON implements json.Marshaler.
func (o object) MarshalJSON() ([]byte, error) {
	var buf bytes.Buffer
	buf.WriteByte('{')
	for i, m := range o {
		k, err := json.Marshal(m.key)
		if err != nil {
			return nil, err
		}
		v, err := json.Marshal(m.value)
		if err != nil {
			return nil, err
		}
		if i > 0 {
			buf.WriteByte(',')
		}
		buf.Write(k)
		buf.WriteByte(':')
		buf.Write(v)
	}
	buf.WriteByte('}')
	return buf.Bytes(), nil
}

var marshalerType = reflect.TypeFor[json.Marshaler]()

// nullNonFinite mirrors v as encoding/json would encode it (field names
// and omitempty from the json tags, map keys sorted), with every NaN or
// infinite float replaced by nil.
func nullNonFinite(v reflect.Value) any {
	if v.Kind() != reflect.Pointer && v.Kind() != reflect.Interface && v.Type().Implements(marshalerType) {
		return v.Interface()
	}
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if v.IsNil() {
			return nil
		}
		return nullNonFinite(v.Elem())
	case reflect.Struct:
		return structObject(v)
	case reflect.Map:
		return mapObject(v)
	case reflect.Slice, reflect.Array:
		if v.Kind() == reflect.Slice && v.IsNil() {
			return nil
		}
		out := make([]any, v.Len())
		for i := range out {
			out[i] = nullNonFinite(v.Index(i))
		}
		return out
	case reflect.Float32, reflect.Float64:
		if !finite(v.Float()) {
			return nil
		}
	}
	return v.Interface()
}

func structObject(v reflect.Value) object {
	var o object
	t := v.Type()
	for i := range t.NumField() {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		name, opts, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "-" && opts == "" {
			continue
		}
		if name == "" {
			name = f.Name
		}
		fv := v.Field(i)
		if strings.Contains(","+opts+",", ",omitempty,") && isEmpty(fv) {
			continue
		}
		o = append(o, member{name, nullNonFinite(fv)})
	}
	return o
}

// isEmpty is encoding/json's test for omitempty.
func isEmpty(v reflect.Value) bool {
	switch v.Kind() {
	case reflect.Array, reflect.Map, reflect.Slice, reflect.String:
		return v.Len() == 0
	case reflect.Struct:
		return false
	}
	return v.IsZero()
}

func mapObject(v reflect.Value) any {
	if v.IsNil() {
		return nil
	}
	keys := make([]string, 0, v.Len())
	byKey := map[string]reflect.Value{}
	for it := v.MapRange(); it.Next(); {
		k := it.Key().String()
		keys = append(keys, k)
		byKey[k] = it.Value()
	}
	sort.Strings(keys)
	o := make(object, len(keys))
	for i, k := range keys {
		o[i] = member{k, nullNonFinite(byKey[k])}
	}
	return o
}
