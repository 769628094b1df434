namespace Gateway.MerchantConsole;

/// <summary>The console's stylesheet: the hosted pages' look, widened for tables, usable from a phone up.</summary>
public static class ConsoleStyle
{
    public const string Css = """
        *{box-sizing:border-box}
        body{margin:0;background:#f3f5f8;color:#1b2430;font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif}
        header{display:flex;flex-wrap:wrap;gap:.5rem 1.25rem;align-items:center;padding:.75rem 1rem;background:#1b2430;color:#fff}
        header .brand{font-weight:700;margin-right:auto}
        header a{color:#fff;text-decoration:none;padding:.25rem .1rem}
        header a[aria-current=page]{border-bottom:2px solid #8db8ff}
        header form{margin:0}
        header button{background:#e6eaef;color:#1b2430}
        main{max-width:72rem;margin:1.25rem auto;padding:1.25rem;background:#fff;border-radius:.75rem;box-shadow:0 1px 4px rgba(0,0,0,.12)}
        main.narrow{max-width:26rem}
        h1{font-size:1.35rem;margin:0 0 1rem}
        h2{font-size:1.1rem;margin:1.5rem 0 .5rem}
        .table{overflow-x:auto}
        table{border-collapse:collapse;width:100%;font-size:.95rem}
        th,td{text-align:left;padding:.45rem .6rem;border-bottom:1px solid #e1e6ec;vertical-align:top}
        td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}
        dl.summary{display:grid;grid-template-columns:auto 1fr;gap:.25rem 1rem;margin:0 0 1.25rem;padding:.75rem;background:#f7f9fb;border-radius:.5rem}
        dl.summary dt{color:#4a5563}
        dl.summary dd{margin:0;font-weight:600;overflow-wrap:anywhere}
        label{display:block;margin:.6rem 0 .25rem;font-weight:600}
        label.check{display:flex;gap:.5rem;align-items:center;font-weight:400}
        input[type=text],input[type=password],input[type=date],select,textarea{width:100%;padding:.55rem;border:1px solid #8a96a3;border-radius:.4rem;font:inherit}
        form.search{display:grid;grid-template-columns:repeat(auto-fit,minmax(10rem,1fr));gap:0 .75rem;align-items:end}
        .actions{display:flex;gap:.75rem;margin-top:1rem;flex-wrap:wrap}
        button{padding:.6rem 1.1rem;border:0;border-radius:.4rem;font:inherit;font-weight:600;cursor:pointer}
        button.primary{background:#1959c7;color:#fff}
        button.danger{background:#b42318;color:#fff}
        .problem{padding:.6rem .75rem;background:#fdecec;color:#8c1d1d;border-radius:.4rem}
        .done{padding:.6rem .75rem;background:#e7f6ec;color:#14532d;border-radius:.4rem}
        .note{color:#4a5563;font-size:.9rem}
        .cards{display:grid;grid-template-columns:repeat(auto-fit,minmax(12rem,1fr));gap:.75rem;margin-bottom:1rem}
        .cards div{padding:.75rem;background:#f7f9fb;border-radius:.5rem}
        .cards strong{display:block;font-size:1.3rem}
        svg.chart{width:100%;height:auto;max-height:14rem}
        svg.chart rect{fill:#1959c7}
        a{color:#1959c7}
        """;
}
