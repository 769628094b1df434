namespace Gateway.HostedPages;

/// <summary>The pages' one stylesheet, inlined under the page's CSP nonce: system fonts only, no external assets.</summary>
public static class PageStyle
{
    public const string Css = """
        *{box-sizing:border-box}
        body{margin:0;background:#f3f5f8;color:#1b2430;font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif}
        main{max-width:28rem;margin:2rem auto;padding:1.5rem;background:#fff;border-radius:.75rem;box-shadow:0 1px 4px rgba(0,0,0,.12)}
        h1{font-size:1.35rem;margin:0 0 1rem}
        dl.summary{display:grid;grid-template-columns:auto 1fr;gap:.25rem 1rem;margin:0 0 1.25rem;padding:.75rem;background:#f7f9fb;border-radius:.5rem}
        dl.summary dt{color:#5a6675}
        dl.summary dd{margin:0;font-weight:600;overflow-wrap:anywhere}
        label{display:block;margin:.75rem 0 .25rem;font-weight:600}
        label.check{display:flex;gap:.5rem;align-items:center;font-weight:400}
        input[type=text],input[type=password],select{width:100%;padding:.6rem;border:1px solid #b8c2cc;border-radius:.4rem;font:inherit}
        .row{display:flex;gap:.75rem}
        .row>div{flex:1}
        .actions{display:flex;gap:.75rem;margin-top:1.25rem;flex-wrap:wrap}
        button{padding:.65rem 1.2rem;border:0;border-radius:.4rem;font:inherit;font-weight:600;cursor:pointer}
        button.primary{background:#1959c7;color:#fff}
        button.secondary{background:#e6eaef;color:#1b2430}
        .problem{padding:.6rem .75rem;background:#fdecec;color:#8c1d1d;border-radius:.4rem}
        .note{color:#5a6675;font-size:.9rem}
        a{color:#1959c7}
        body.dark{background:#11161d;color:#e6eaef}
        body.dark main{background:#1b232d;box-shadow:none}
        body.dark dl.summary{background:#232d39}
        body.dark dl.summary dt,body.dark .note{color:#a9b4c0}
        body.dark input[type=text],body.dark input[type=password],body.dark select{background:#11161d;color:#e6eaef;border-color:#4a5868}
        body.dark button.secondary{background:#2c3845;color:#e6eaef}
        body.dark button.primary{background:#4d8ef7;color:#0b1220}
        body.dark .problem{background:#4a1f1f;color:#ffd9d9}
        body.dark a{color:#8db8ff}
        ul.providers{list-style:none;padding:0;margin:0;display:grid;gap:.75rem}
        ul.providers a{display:block;padding:.8rem 1rem;border:1px solid #b8c2cc;border-radius:.5rem;font-weight:600;text-decoration:none}
        """;
}
