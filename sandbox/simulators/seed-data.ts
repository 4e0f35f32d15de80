/**
 * The world the simulators share: WIDIP's client sites (nursing homes and clinics), their
 * network devices, staff accounts and fibre links. GLPI entities and users, Observium devices and
 * Phibee links all derive from this list, so a diagnosis can cross services consistently.
 */
export interface Site {
	/** Stable short code, also the Phibee client id suffix. */
	code: string;
	name: string;
	city: string;
	/** GLPI entity id. */
	entityId: number;
	/** WAN address of the site's router. */
	wanIp: string;
}

export const SITES: readonly Site[] = [
	{ code: 'BELLEVUE', name: 'EHPAD Bellevue', city: 'Lyon', entityId: 1, wanIp: '198.51.100.11' },
	{ code: 'TILLEULS', name: 'EHPAD Les Tilleuls', city: 'Villeurbanne', entityId: 2, wanIp: '198.51.100.12' },
	{ code: 'STJOSEPH', name: 'Clinique Saint-Joseph', city: 'Grenoble', entityId: 3, wanIp: '198.51.100.13' },
	{ code: 'GLYCINES', name: 'Résidence Les Glycines', city: 'Annecy', entityId: 4, wanIp: '198.51.100.14' },
	{ code: 'CLOSFLEURI', name: 'EHPAD Le Clos Fleuri', city: 'Valence', entityId: 5, wanIp: '198.51.100.15' },
	{ code: 'MIMOSAS', name: 'EHPAD Les Mimosas', city: 'Chambéry', entityId: 6, wanIp: '198.51.100.16' },
];

/** `EHPAD-Bellevue-RTR01`: the naming WIDIP uses for devices (site name, accents dropped). */
export function deviceName(site: Site, role: 'RTR' | 'SW' | 'AP', index = 1): string {
	const slug = site.name
		.normalize('NFD')
		.replace(/[\u0300-\u036f]/g, '')
		.split(/\s+/)
		.join('-');
	return `${slug}-${role}${String(index).padStart(2, '0')}`;
}

export interface Person {
	login: string;
	firstname: string;
	realname: string;
	email: string;
	phone: string;
	mobile: string;
	entityId: number;
}

const FIRST = ['Marie', 'Jean', 'Sophie', 'Luc', 'Camille', 'Nadia', 'Pierre', 'Claire', 'Karim', 'Élodie'];
const LAST = ['Martin', 'Bernard', 'Dubois', 'Thomas', 'Robert', 'Richard', 'Petit', 'Durand', 'Leroy', 'Moreau'];

/** A few staff per site, deterministic so tests can name them. */
export function seedPeople(): Person[] {
	const people: Person[] = [];
	SITES.forEach((site, s) => {
		for (let i = 0; i < 4; i++) {
			const firstname = FIRST[(s * 4 + i) % FIRST.length];
			const realname = LAST[(s * 3 + i) % LAST.length];
			const ascii = `${firstname}.${realname}`.normalize('NFD').replace(/[\u0300-\u036f]/g, '').toLowerCase();
			people.push({
				login: `${ascii}.${site.code.toLowerCase()}`,
				firstname,
				realname,
				email: `${ascii}@${site.code.toLowerCase()}.example.fr`,
				phone: `04 72 ${String(10 + s).padStart(2, '0')} ${String(20 + i).padStart(2, '0')} 00`,
				mobile: `06 ${String(11 + s)} ${String(30 + i)} 45 67`,
				entityId: site.entityId,
			});
		}
	});
	return people;
}
