# Writes synthetic-redaction-edge-cases.eventlog.json: one event log whose states hold every redaction edge case
# (secret signatures, escaped names, secret-looking names around nested secrets, assets, unknowns, markers, quoted
# paths). The LEAK texts must never reach the reader's output. Run: python3 make-redaction-edge-cases.py
import json
SIG="4dabf18193072939515e22adb298388d"
SEC="1b47061264138c4ac30d75fd1eb44270"
UNK="04da6b54-80e4-46f7-96ec-b56ff0331ba9"
seq=[0]
lines=[]
def ev(kind, payload):
    e={"sequence":seq[0],"timestamp":1700000000+seq[0],kind:payload}; seq[0]+=1
    lines.append(json.dumps(e, separators=(',',':')))
def state(urn, typ, inputs, outputs, **extra):
    s={"type":typ,"urn":urn,"custom":True,"id":"x","parent":"","inputs":inputs,"outputs":outputs,"provider":extra.pop("provider","urn:pulumi:dev::adv::pulumi:providers:aws::default::id1")}
    s.update(extra); return s
def step(op, name, old, new, typ="aws:ec2/instance:Instance", **kw):
    urn=f"urn:pulumi:dev::adv::{typ}::{name}"
    m={"op":op,"urn":urn,"type":typ,"old":old(urn,typ) if old else None,"new":new(urn,typ) if new else None}
    m.update(kw); m.setdefault("provider","urn:pulumi:dev::adv::pulumi:providers:aws::default::id1")
    ev("resourcePreEvent",{"metadata":m,"planning":True})
    ev("resOutputsEvent",{"metadata":m,"planning":True})
ev("preludeEvent",{"config":{}})
rich_in={"__defaults":["a"],"password":"p1","db_password":None,"plain":"v","nested":{"__meta":"x","secretKey":{"deep":"[unknown]","token":"t"},"list":[None,UNK,"[secret]",{"apiKey":"k","__defaults":[]},[1,2.50,-3e10,True,False]]},
   "credentials":{"password":"inner","ok":"fine"},"asset":{SIG:"c44067f5952c0a294b673a41bacd8c17","path":"./a.txt","hash":"0123456789abcdefXYZ"},
   "archive":{"hash":"aa",SIG:"0def7320c3a5731c473e5ecbe6d01bc7","assets":{"a":1,"b":2}},"uriasset":{SIG:"c44067f5952c0a294b673a41bacd8c17","uri":"https://x/é"},
   "text":{SIG:"c44067f5952c0a294b673a41bacd8c17","text":None},"text2":{SIG:"c44067f5952c0a294b673a41bacd8c17","text":"x"},
   "ref":{"urn":"urn:pulumi:dev::adv::t::r",SIG:"5cf8f73096256a8f31e491e813e4eb8e"},"ref2":{SIG:"5cf8f73096256a8f31e491e813e4eb8e","urn":5},
   "odd":{SIG:123,"x":"leak?"},"odd2":{SIG:"ffff","plaintext":"leak?"},"nonutf":{SIG:"803fd3297a5875dc03ca845dda5d2a98","value":"zz"},
   "sec":{"plaintext":"LEAK1",SIG:SEC},"secretAsset":{SIG:"c44067f5952c0a294b673a41bacd8c17","path":"p"},"accessKey":"[unknown]","privateKey":"[secret]","authKey":UNK,
   "key.with.dots":{"password":"q"},"sp ace":[{"token":"t2"}],"quo\"te":{"x\\y":{"secret":1}},"":{"secret":"empty-key"},
   "tags":{"team":"a","connection.string":"cs"},"uni":"\u00e9\u4e2d\U0001F600<>&'","num":1.0,"big":123456789012345678901234567890,
   "arr":[{SIG:SEC,"ciphertext":"v1:LEAK2"},[{"password":"LEAK3"}]],"emptyObj":{},"emptyArr":[]}
rich_out={"__meta":"m","arn":"arn:x","password":"LEAK4","tags":{"team":"b"},"onlyOut":{"secret":"LEAK5","v":1}}
step("update","rich",lambda u,t:state(u,t,rich_in,rich_out,protect=True),lambda u,t:state(u,t,dict(rich_in,plain="v2",tags={"team":"z"}),rich_out,retainOnDelete=False),
     diffs=["plain","tags"],detailedDiff={"plain":{"diffKind":"update","inputDiff":True},"tags.team":{"kind":"update"},"onlyOut.v":{"diffKind":"update","inputDiff":False},
        "password":{"diffKind":"update"},"nested.list[1]":{"diffKind":"update"},"nested.list[3].apiKey":{"diffKind":"update"},"missing.path":{"diffKind":"add"},
        "tags[\"connection.string\"]":{"diffKind":"update"},"arr[1][0].password":{"diffKind":"delete"},"credentials.password":{"diffKind":"update"},"sec.plaintext":{"diffKind":"update-replace"},"[\"quo\\\"te\"]":{"diffKind":"update"}})
step("update","nodetail",lambda u,t:state(u,t,{"a":1,"secretThing":"S","b":[1]},{}),lambda u,t:state(u,t,{"a":2,"secretThing":"S2","b":[1,2],"c":None},{}),diffs=["a","a","secretThing"],keys=["b"])
step("update","nokeys",lambda u,t:state(u,t,{"a":1,"pw":{SIG:SEC},"same":"s"},{}),lambda u,t:state(u,t,{"a":2,"pw":{SIG:SEC},"same":"s","new":True},{}),detailedDiff=None)
step("create","outputsonly",None,lambda u,t:state(u,t,{},{"x":"y","myPassword":"LEAK6"}))
step("create","inputsnotobj",None,lambda u,t:state(u,t,[1,2],{"x":"y"}))
step("create","noinputs",None,lambda u,t:{"type":"","urn":u,"outputs":{"k":"v"},"provider":""})
step("create","typeless",None,lambda u,t:{"inputs":{"k":"v"}},typ="aws:s3/bucket:Bucket",type="")
step("delete","retained",lambda u,t:state(u,t,{"k":"v"},{},retainOnDelete=True),None)
step("delete","protected",lambda u,t:state(u,t,{"k":"v"},{},protect=True,retainOnDelete="yes"),None)
step("replace","rep",lambda u,t:state(u,t,{"userData":"a"},{}),lambda u,t:state(u,t,{"userData":"b"},{}),keys=["userData"])
step("create","prov",None,lambda u,t:state(u,t,{"k":1},{},provider="urn:pulumi:dev::adv::pulumi:providers:gcp::g::id"),provider="")
ev("summaryEvent",{"maybeCorrupt":False,"durationSeconds":1,"resourceChanges":{},"PolicyPacks":{},"isPreview":True,"result":"succeeded"})
ev("cancelEvent",{})
text="\n".join(lines)+"\n"
# escaped key variants (raw replacements in JSON text)
text=text.replace('"sec":{"plaintext":"LEAK1","'+SIG, '"sec":{"plaintext":"LEAK1","\\u0034dabf18193072939515e22adb298388d')
text=text.replace('"db_password"', '"db_pass\\u0077ord"')
open("synthetic-redaction-edge-cases.eventlog.json","w").write(text)
