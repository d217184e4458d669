/*! drtroy-tracker 1.0.0, no dependencies, ES2017. How it works: docs/tracker.md */
((w,d)=>{try{
 let V='1.0.0',N=navigator,L=location,now=Date.now,A=w.drtroy,
  S=d.currentScript||d.querySelector('script[data-write-key]'),key=S.dataset.writeKey,
  host=S.dataset.host||new URL(S.src).origin
 if(!key||A&&A._v)return
 A=w.drtroy=Array.isArray(A)?A:[]
 let safe=f=>function(){try{return f.apply(this,arguments)}catch(e){}},
  on=(t,f,o=w)=>o.addEventListener(t,safe(f),!0),
  // storage
  mem={},P='drtroy_',
  get=k=>{try{let v=localStorage[P+k];if(v)return JSON.parse(v)}catch(e){}return mem[k]},
  set=(k,v)=>{
   mem[k]=v
   try{localStorage[P+k]=JSON.stringify(v)}catch(e){try{delete localStorage[P+k]}catch(e){}}
  },
  id=()=>crypto.randomUUID?crypto.randomUUID()
   :[...crypto.getRandomValues(new Uint8Array(16))].map(b=>(b|256).toString(16).slice(1)).join(''),
  off=()=>get('optout')||N.doNotTrack==1,
  aid=(a=get('aid')||id())=>(set('aid',a),a),
  sid=(s=get('sid')||{},t=now())=>{
   if(!(t-s.t<18e5))s.id=id()
   s.t=t;set('sid',s);return s.id
  },
  ref=d.referrer,
  href=()=>L.href.split('#')[0],
  pg=()=>({path:L.pathname,referrer:ref,search:L.search,title:d.title,url:href()}),
  first=pg(),
  tz=Intl.DateTimeFormat().resolvedOptions().timeZone,
  camp=(c={})=>{
   for(let[k,v]of new URLSearchParams(L.search))if(/^utm_/.test(k))c[k=='utm_campaign'?'name':k.slice(4)]=v
   return c
  },
  msg=(type,x,page)=>{
   if(off())return
   let m=JSON.stringify(Object.assign({
    type,messageId:id(),anonymousId:aid(),userId:get('uid')||void 0,timestamp:new Date().toISOString(),
    context:{
     page:page||pg(),campaign:camp(),userAgent:N.userAgent,locale:N.language,timezone:tz,
     screen:{width:screen.width,height:screen.height},library:{name:'drtroy-tracker',version:V},session_id:sid()
    }
   },x)),q=Q()
   if(m.length<2e4)q.push(JSON.parse(m)),set('q',q.slice(-1e3)),sched(!q[19]&&1e3)
  },

  // delivery
  timer,fails=0,until=0,fly={},
  Q=()=>get('q')||[],
  sched=ms=>{if(!timer||!ms)clearTimeout(timer),timer=setTimeout(flush,Math.max(ms,until-now()))},
  flush=safe(hide=>{
   let t=now(),b=[],n=0
   timer=0
   for(let m of Q()){
    if(t-fly[m.messageId]<15e3)continue
    n+=JSON.stringify(m).length
    if(b[0]&&(b[19]||n>2e4||m.type=='identify'||b[0].type=='identify'))break
    b.push(m)
   }
   if(!b[0]||off())return
   if(!hide&&t<until)return sched(1e3)
   let ids=b.map(m=>(fly[m.messageId]=t,m.messageId)),
    done=()=>ids.map(i=>delete fly[i]),
    retry=r=>{
     done()
     until=now()+Math.max(r*1e3||0,Math.min(6e4,1e3*2**++fails)*(.5+Math.random()/2))
     sched(1)
    }
   fetch(host+'/v1/batch',{method:'POST',keepalive:!0,body:JSON.stringify({writeKey:key,sentAt:new Date().toISOString(),batch:b})})
    .then(safe(r=>{
     if(r.status==429||r.status>499)return retry(r.headers.get('Retry-After'))
     done();fails=0
     set('q',Q().filter(m=>!ids.includes(m.messageId)))
     if(Q()[0])sched(0)
    }),safe(retry))
  }),

  // API
  last,
  page=(name,p)=>{
   let k=L.pathname+L.search
   if(typeof name=='object')p=name,name=0
   if(k!=last)last=k,msg('page',{name:name||d.title,properties:Object.assign(pg(),p)}),ref=href()
  },
  track=(e,p)=>e&&msg('track',{event:''+e,properties:p||{}}),
  api={
   track,page,flush,
   identify:(u,t)=>{
    if(off())return
    if(u)set('uid',''+u)
    msg('identify',{traits:t||{}})
   },
   reset:()=>['uid','aid','sid'].map(k=>set(k,null)),
   optOut:()=>{set('optout',1);['q','uid','aid','sid'].map(k=>set(k,null))},
   optIn:()=>set('optout',0)
  },
  q0=A.splice(0)
 for(let f in api)A[f]=safe(api[f])
 A._v=V
 A.push=safe(a=>A[a[0]](...[].slice.call(a,1)))
 q0.map(A.push)
 A.page()

 // SPA
 let auto=()=>setTimeout(A.page,100)
 for(let f of['pushState','replaceState']){
  let o=history[f]
  history[f]=function(){let r=o.apply(this,arguments);auto();return r}
 }
 on('popstate',auto)

 // Web Vitals
 let v={},obs=[],sw=0,sf,sl,sent,
  po=safe((type,cb)=>{
   let p=new PerformanceObserver(safe(l=>l.getEntries().map(cb)))
   p.observe({type,buffered:!0,durationThreshold:16});obs.push([p,cb])
  }),
  hid=()=>{
   if(!sent){
    let n=performance.getEntriesByType('navigation')[0]||{},p={}
    sent=obs.map(([o,cb])=>o.takeRecords().map(cb))
    v.ttfb_ms=n.responseStart;v.load_ms=n.loadEventEnd
    for(let k in v)if(v[k]>0)p[k]=k=='cls'?+v[k].toFixed(4):Math.round(v[k])
    msg('track',{event:'Web Vitals',properties:p},first)
   }
   flush(1)
  }
 po('paint',e=>e.name=='first-contentful-paint'&&(v.fcp_ms=e.startTime))
 po('largest-contentful-paint',e=>v.lcp_ms=e.startTime)
 po('layout-shift',e=>{
  let t=e.startTime
  if(e.hadRecentInput)return
  if(sw&&t-sl<1e3&&t-sf<5e3)sw+=e.value;else sw=e.value,sf=t
  sl=t;v.cls=Math.max(v.cls||0,sw)
 })
 po('event',e=>e.interactionId&&(v.inp_ms=Math.max(v.inp_ms||0,e.duration)))
 on('visibilitychange',()=>d.visibilityState=='hidden'&&hid(),d)
 on('pagehide',hid)

 // JS errors
 let seen={},tok=10,tt=now(),
  err=(message,stack,source,line,column)=>{
   let k=message+source+line+column,t=now()
   tok=Math.min(10,tok+(t-tt)/6e4);tt=t
   if(!seen[k]&&tok>=1)seen[k]=tok--,track('JS Error',{message:(''+message).slice(0,500),source,line,column,stack:stack&&(''+stack).slice(0,2e3)})
  }
 on('error',e=>e instanceof ErrorEvent&&err(e.message,e.error&&e.error.stack,e.filename,e.lineno,e.colno))
 on('unhandledrejection',({reason:r})=>err(r&&r.message||r,r&&r.stack))

 // links
 on('click',e=>{
  let a=e.target.closest('a[href]'),u=a&&new URL(a.getAttribute('href'),L.href)
  if(/^http/.test(u.protocol))a.hasAttribute('download')||/\.(pdf|zip|rar|7z|gz|dmg|exe|msi|docx?|xlsx?|pptx?|csv|epub|mp[34]|mov)$/i.test(u.pathname)
   ?track('File Downloaded',{url:u.href}):u.host!=L.host&&track('Outbound Link Clicked',{url:u.href})
 },d)
}catch(e){}})(window,document)
